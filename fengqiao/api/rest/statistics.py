"""``GET /api/v1/statistics/``: the case loop's figures (口径 of ``stats.metrics``, the same as
the dashboards and ledgers) for a period, in the caller's scope, optionally broken down."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.api.rest import lookups
from fengqiao.cases.choices import CaseType, Channel
from fengqiao.stats import metrics

EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)
LONGEST_DAYS = 3660  # ten years
LONGEST_DAILY_DAYS = 366


def _in_range(value: datetime.date) -> None:
    if not EARLIEST <= value <= LATEST:
        raise serializers.ValidationError(_("Give a date between 2000-01-01 and 2100-12-31."))


class StatisticsQuerySerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(
        choices=[(k, k) for k in metrics.PERIOD_KINDS],
        default="month",
        help_text=_("day, week, month or year containing “date”; custom: date_from to date_to."),
    )
    date = serializers.DateField(required=False, validators=[_in_range])
    date_from = serializers.DateField(required=False, validators=[_in_range])
    date_to = serializers.DateField(required=False, validators=[_in_range])
    territory = serializers.RegexField(r"^\d{2,18}$", required=False, max_length=18)
    department = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    case_type = serializers.ChoiceField(choices=CaseType.choices, required=False)
    category = serializers.SlugField(required=False, max_length=40)
    by = serializers.ChoiceField(choices=[(b, b) for b in metrics.BREAKDOWNS], required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["period"] == "custom":
            first, last = attrs.get("date_from"), attrs.get("date_to")
            if first is None or last is None:
                raise serializers.ValidationError(
                    {"date_from": [_("A custom period needs date_from and date_to.")]}
                )
            if last < first:
                raise serializers.ValidationError(
                    {"date_to": [_("date_to must not come before date_from.")]}
                )
            period = metrics.Period.custom(first, last)
        else:
            day = attrs.get("date") or timezone.localdate()
            period = metrics.Period.containing(attrs["period"], day)
        if period.days > LONGEST_DAYS:
            raise serializers.ValidationError(
                {"date_to": [_("A period is at most ten years long.")]}
            )
        if attrs.get("by") == "day" and period.days > LONGEST_DAILY_DAYS:
            raise serializers.ValidationError(
                {"by": [_("A daily breakdown covers at most a year: choose week or month.")]}
            )
        category_id = None
        if attrs.get("category"):
            category = lookups.active_category(attrs["category"])
            if category is None:
                raise serializers.ValidationError(
                    {"category": [_("No category in use has this code.")]}
                )
            category_id = category.pk
        attrs["period_value"] = period
        attrs["filters"] = metrics.Filters(
            territory=attrs.get("territory", ""),
            department_id=attrs.get("department"),
            channel=attrs.get("channel", ""),
            case_type=attrs.get("case_type", ""),
            category_id=category_id,
        )
        return attrs


class FiguresSerializer(serializers.Serializer[Any]):
    """Counts as integers; rates as percentages in text (``"94.6000"``), null when there is
    nothing to divide by; reply times in working hours."""

    received = serializers.IntegerField()
    accepted = serializers.IntegerField()
    closed = serializers.IntegerField()
    closure_rate = serializers.CharField(allow_null=True)
    on_time_sign_rate = serializers.CharField(allow_null=True)
    on_time_reply_rate = serializers.CharField(allow_null=True)
    overdue_now = serializers.IntegerField()
    extensions = serializers.IntegerField()
    hard_matters = serializers.IntegerField()
    returns = serializers.IntegerField()
    reopen_rate = serializers.CharField(allow_null=True)
    satisfaction_rate = serializers.CharField(allow_null=True)
    return_visit_rate = serializers.CharField(allow_null=True)
    mean_reply_hours = serializers.CharField(allow_null=True)
    p90_reply_hours = serializers.IntegerField(allow_null=True)


class PeriodSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    first = serializers.DateField()
    last = serializers.DateField()


class BreakdownRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    # Named like ``Field.label``: DRF's serializer metaclass moves a declared field into
    # ``_declared_fields``, so it shadows nothing at runtime, but the stubs cannot tell a
    # declared field from the attribute (typeddjango/djangorestframework-stubs#158).
    label = serializers.CharField()  # type: ignore[assignment]
    figures = FiguresSerializer()


class StatisticsSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    figures = FiguresSerializer()
    breakdown = BreakdownRowSerializer(many=True, required=False)


class StatisticsView(APIView):
    """The figures of the cases received in a period that the caller may see."""

    @extend_schema(
        parameters=[StatisticsQuerySerializer],
        responses={200: StatisticsSerializer},
        tags=["statistics"],
    )
    def get(self, request: Request) -> Response:
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        period: metrics.Period = data["period_value"]
        filters: metrics.Filters = data["filters"]
        figures = metrics.case_figures(request.user, period, filters)
        body: dict[str, Any] = {
            "period": {
                "kind": period.kind,
                "first": period.first.isoformat(),
                "last": period.last.isoformat(),
            },
            "figures": figures.as_json(),
        }
        if data.get("by"):
            body["breakdown"] = [
                {"key": row.key, "label": str(row.label), "figures": row.figures.as_json()}
                for row in metrics.case_breakdown(request.user, period, filters, by=data["by"])
            ]
        return Response(body)
