"""Query filters of the lists: the same conditions as the workbench and register filters on
the pages (``cases.forms.CaseFilterForm.search_arguments``, ``disputes.selectors.register_filter``,
``bulletins.selectors.search_bulletins``). Unlike the pages, which drop a wrong value and
show the rest, the API refuses it with 400 and says what to fix: a program that sent a
wrong filter should learn so, not silently get another list."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from fengqiao.api.rest.authentication import idempotency_key_for
from fengqiao.bulletins.choices import BulletinKind, BulletinState, BulletinUrgency
from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.selectors import state_q
from fengqiao.cases import selectors as case_selectors
from fengqiao.cases.choices import CaseStatus, CaseType, Channel, DeadlineState
from fengqiao.cases.models import Case
from fengqiao.core.codes import within
from fengqiao.disputes.choices import DisputeStatus, DisputeType, RiskLevel, Source
from fengqiao.disputes.models import Dispute
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Grid, Household, Person

territory_prefix = RegexValidator(r"^\d{2,18}$", _("A territory code is 2 to 18 digits."))

QUEUES = [
    (key, key)
    for key in (
        "to_accept",
        "to_dispatch",
        "returned",
        "to_review",
        "due_soon",
        "overdue",
        "return_visit",
        "to_sign",
        "in_progress",
        "in_hand",
        "grid",
    )
]


def _territory_filter(field: str = "territory_code") -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method=f"filter_territory_{field}",
        max_length=18,
        validators=[territory_prefix],
        label=_("Territory code starts with"),
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class TerritoryFilterMixin:
    def filter_territory_territory_code(
        self, queryset: QuerySet[Any], name: str, value: str
    ) -> Any:
        return queryset.filter(within("territory_code", value)) if value else queryset


class CaseFilter(TerritoryFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", max_length=60, label=_("Number, title or text contains")
    )
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    case_type = django_filters.ChoiceFilter(choices=CaseType.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    category = django_filters.CharFilter(
        field_name="category__code", max_length=40, label=_("Category code")
    )
    department = django_filters.NumberFilter(
        field_name="lead_department_id", label=_("Lead department id"), min_value=1
    )
    territory = _territory_filter()
    deadline = django_filters.ChoiceFilter(
        method="filter_deadline",
        choices=[
            (s.value, s.label) for s in (DeadlineState.OK, DeadlineState.YELLOW, DeadlineState.RED)
        ],
    )
    date_from = django_filters.DateFilter(method="filter_date_from", label=_("Received from"))
    date_to = django_filters.DateFilter(method="filter_date_to", label=_("Received until"))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Changed at or after this time (ISO 8601): for polling"),
    )
    queue = django_filters.ChoiceFilter(
        method="filter_queue", choices=QUEUES, label=_("One queue of your workbench")
    )
    external_id = django_filters.CharFilter(
        method="filter_external_id", max_length=64, label=_("Your own id of the case")
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(number__icontains=text) | Q(title__icontains=text) | Q(description__icontains=text)
        )

    def filter_deadline(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(case_selectors.deadline_q(value, timezone.now()))

    def filter_date_from(
        self, queryset: QuerySet[Case], name: str, value: datetime.date
    ) -> QuerySet[Case]:
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_date_to(
        self, queryset: QuerySet[Case], name: str, value: datetime.date
    ) -> QuerySet[Case]:
        return queryset.filter(created_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_queue(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        user = self.request.user if self.request is not None else None
        worklist = next((w for w in case_selectors.worklists_for(user) if w.key == value), None)
        if worklist is None:
            return queryset.none()  # a queue of another kind of workbench: nothing of yours
        return queryset.filter(pk__in=worklist.cases.order_by().values("pk"))

    def filter_external_id(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # The API's filter backend hands over the DRF request (the one that carries ``auth``).
        request = self.request
        key = idempotency_key_for(request, value) if isinstance(request, Request) else None
        return queryset.filter(idempotency_key=key) if key else queryset.none()


class DisputeFilter(TerritoryFilterMixin, django_filters.FilterSet):
    territory = _territory_filter()
    year = django_filters.NumberFilter(method="filter_year", min_value=2000, max_value=2100)
    date_from = django_filters.DateFilter(field_name="screened_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="screened_on", lookup_expr="lte")
    type = django_filters.ChoiceFilter(field_name="dispute_type", choices=DisputeType.choices)
    risk = django_filters.ChoiceFilter(field_name="risk_level", choices=RiskLevel.choices)
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    violent = django_filters.BooleanFilter(field_name="violent_risk")
    q = django_filters.CharFilter(method="filter_text", max_length=100)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Dispute
        fields: list[str] = []

    def filter_year(self, queryset: QuerySet[Dispute], name: str, value: Any) -> QuerySet[Dispute]:
        year = int(value)
        return queryset.filter(
            screened_on__gte=datetime.date(year, 1, 1), screened_on__lte=datetime.date(year, 12, 31)
        )

    def filter_text(self, queryset: QuerySet[Dispute], name: str, value: str) -> QuerySet[Dispute]:
        text = value.strip()
        return queryset.filter(Q(number=text) | Q(name__contains=text)) if text else queryset


class BulletinFilter(TerritoryFilterMixin, django_filters.FilterSet):
    state = django_filters.ChoiceFilter(method="filter_state", choices=BulletinState.choices)
    kind = django_filters.ChoiceFilter(choices=BulletinKind.choices)
    urgency = django_filters.ChoiceFilter(choices=BulletinUrgency.choices)
    territory = _territory_filter()
    q = django_filters.CharFilter(method="filter_text", max_length=60)

    class Meta:
        model = Bulletin
        fields: list[str] = []

    def filter_state(self, queryset: QuerySet[Bulletin], name: str, value: str) -> Any:
        return queryset.filter(state_q(value, timezone.now()))

    def filter_text(self, queryset: QuerySet[Bulletin], name: str, value: str) -> Any:
        text = value.strip()
        return (
            queryset.filter(Q(title__icontains=text) | Q(body__icontains=text))
            if text
            else queryset
        )


class AreaFilter(TerritoryFilterMixin, django_filters.FilterSet):
    territory = _territory_filter()
    level = django_filters.ChoiceFilter(choices=AreaLevel.choices)
    parent = django_filters.CharFilter(field_name="parent__code", max_length=12)

    class Meta:
        model = Area
        fields: list[str] = []


class GridFilter(TerritoryFilterMixin, django_filters.FilterSet):
    territory = _territory_filter()
    village = django_filters.CharFilter(field_name="village__code", max_length=12)

    class Meta:
        model = Grid
        fields: list[str] = []


class HouseholdFilter(TerritoryFilterMixin, django_filters.FilterSet):
    territory = _territory_filter()
    grid = django_filters.CharFilter(field_name="grid__code", max_length=15)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Household
        fields: list[str] = []


class PersonFilter(TerritoryFilterMixin, django_filters.FilterSet):
    territory = _territory_filter()
    household = django_filters.NumberFilter(field_name="household_id", min_value=1)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Person
        fields: list[str] = []
