"""The REST API's resources. Thin, as the pages are: every queryset starts from
``visible_to(request.user)`` (out of scope answers 404, as if it did not exist), and every
write is one call of the same service the pages call, with the same guards and the same
timeline. A system's key acts as a staff account (see ``authentication``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.api.models import ApiKey
from fengqiao.api.rest import lookups
from fengqiao.api.rest import serializers as api
from fengqiao.api.rest.authentication import idempotency_key_for
from fengqiao.api.rest.exceptions import problem_response
from fengqiao.api.rest.filters import (
    AreaFilter,
    BulletinFilter,
    CaseFilter,
    DisputeFilter,
    GridFilter,
    HouseholdFilter,
    PersonFilter,
)
from fengqiao.api.rest.pagination import CreatedCursorPagination, IdCursorPagination
from fengqiao.api.rest.permissions import IsStaffAccount, ListsRoster, PublicResource
from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.bulletins.models import Bulletin
from fengqiao.cases import selectors as case_selectors
from fengqiao.cases import services as case_services
from fengqiao.cases.choices import CaseStatus, CaseType, Channel, Rating, ReporterKind, Urgency
from fengqiao.cases.models import Case, Category
from fengqiao.cases.services import ReporterInput
from fengqiao.cases.views import allowed_actions
from fengqiao.core.codes import is_within
from fengqiao.disputes.models import Dispute
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Area, Grid, Household, Person

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


def _field_error(field: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]})


# --- Reference data -------------------------------------------------------------------------


@extend_schema(tags=["reference"])
class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
    """The case categories (public, like the Open311 service list)."""

    permission_classes = [PublicResource]
    serializer_class = api.CategorySerializer
    lookup_field = "code"
    filter_backends: list[Any] = []
    queryset = Category.objects.select_related("parent").order_by("sort_order", "path", "id")


@extend_schema(tags=["reference"])
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet[Department]):
    """The departments the caller may see: those serving their territory (or their own)."""

    serializer_class = api.DepartmentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Department]:
        return Department.objects.visible_to(self.request.user).order_by(
            "territory_code", "name", "id"
        )


@extend_schema(tags=["territory"])
class AreaViewSet(viewsets.ReadOnlyModelViewSet[Area]):
    """Current areas (county, township, village) in the caller's territory."""

    serializer_class = api.AreaSerializer
    lookup_field = "code"
    filterset_class = AreaFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Area]:
        return (
            Area.objects.visible_to(self.request.user)
            .filter(valid_to__isnull=True)
            .select_related("parent")
            .order_by("territory_code", "id")
        )


@extend_schema(tags=["territory"])
class GridViewSet(viewsets.ReadOnlyModelViewSet[Grid]):
    serializer_class = api.GridSerializer
    lookup_field = "code"
    filter_backends = [DjangoFilterBackend]
    filterset_class = GridFilter

    def get_queryset(self) -> QuerySet[Grid]:
        return Grid.objects.visible_to(self.request.user).select_related("village").order_by("code")


class _RosterList:
    """Each page of a roster list is an export: audited with what was asked and how many
    rows went out (the values stay masked; unmasking is for a person on a page)."""

    permission_classes: Sequence[_PermissionClass] = [IsStaffAccount, ListsRoster]
    roster_resource = ""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == status.HTTP_200_OK:
            audit_record(
                action=AuditAction.EXPORT,
                actor=request.user,
                request=request._request,
                detail={
                    "kind": "api_roster",
                    "resource": self.roster_resource,
                    "rows": len(response.data.get("results", [])),
                    "filters": {k: v for k, v in request.query_params.items() if k != "cursor"},
                },
            )
        return response


@extend_schema(tags=["territory"])
class HouseholdViewSet(_RosterList, viewsets.ReadOnlyModelViewSet[Household]):
    """Households in the caller's territory (department staff have none). Listing them
    needs the roster-export permission and is audited as an export."""

    roster_resource = "households"
    serializer_class = api.HouseholdSerializer
    pagination_class = IdCursorPagination
    filterset_class = HouseholdFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Household]:
        return Household.objects.visible_to(self.request.user).select_related("grid", "unit")


@extend_schema(tags=["territory"])
class PersonViewSet(_RosterList, viewsets.ReadOnlyModelViewSet[Person]):
    """Household members; ID numbers and phones masked, special-population tags left out.
    Listing them needs the roster-export permission and is audited as an export."""

    roster_resource = "persons"
    serializer_class = api.PersonSerializer
    pagination_class = IdCursorPagination
    filterset_class = PersonFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Person]:
        return Person.objects.visible_to(self.request.user)


# --- Cases ----------------------------------------------------------------------------------

Perform = Callable[[Case, Any, dict[str, Any]], Any]


def _move(
    name: str,
    input_serializer: type[serializers.Serializer[Any]],
    perform: Perform,
    *,
    attribute: str = "",
) -> Any:
    """An action endpoint ``POST /cases/{number}/<name>/``: parse, one service call, the case
    as it is now. The service's refusals map to problem documents (see ``exceptions``)."""

    @extend_schema(
        request=input_serializer,
        responses={200: api.CaseDetailSerializer},
        tags=["case moves"],
        operation_id=f"cases_{name}",
    )
    def move(self: CaseViewSet, request: Request, number: str | None = None) -> Response:
        case = self.get_object()
        data = self.parse(input_serializer, request)
        perform(case, request.user, data)
        return Response(self.detail_of(case.number))

    # DRF wants the function named as the class attribute that holds it.
    move.__name__ = attribute or name
    move.__doc__ = perform.__doc__
    slug = name.replace("_", "-")
    return action(detail=True, methods=["post"], url_path=slug, url_name=slug)(move)


def _accept(case: Case, user: Any, data: dict[str, Any]) -> None:
    """受理: the center holding the case accepts it."""
    case_services.case_accept(case=case, actor=user, version=data["version"])


def _reject(case: Case, user: Any, data: dict[str, Any]) -> None:
    """不予受理, with the reason."""
    case_services.case_reject(case=case, actor=user, reason=data["reason"], version=data["version"])


def _escalate(case: Case, user: Any, data: dict[str, Any]) -> None:
    """上报: one level up, with the reason."""
    case_services.case_escalate(
        case=case, actor=user, reason=data["reason"], version=data["version"]
    )


def _resolve(case: Case, user: Any, data: dict[str, Any]) -> None:
    """就地办结 by a grid worker of the case's grid."""
    case_services.case_resolve_on_spot(
        case=case, actor=user, what_was_done=data["what_was_done"], version=data["version"]
    )


def _departments(user: Any, ids: list[int], field: str) -> list[Department]:
    found = {d.pk: d for d in case_selectors.dispatch_departments(user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise _field_error(
            field,
            _("No active department you may send cases to has the id %(ids)s.")
            % {"ids": ", ".join(str(i) for i in missing)},
        )
    return [found[i] for i in ids]


def _dispatch(case: Case, user: Any, data: dict[str, Any]) -> None:
    """派单 to a lead department and co-handlers; a case still to accept is accepted first,
    both or neither (as the workbench's one-click dispatch)."""
    lead = _departments(user, [data["department"]], "department")[0]
    co = _departments(user, list(dict.fromkeys(data["co_departments"])), "co_departments")
    version = data["version"]
    with transaction.atomic():
        if case.status == CaseStatus.SUBMITTED:
            case = case_services.case_accept(case=case, actor=user, version=version)
            version = case.version
        case_services.case_dispatch(
            case=case,
            actor=user,
            department=lead,
            co_departments=co,
            note=data["note"],
            version=version,
        )


def _sign(case: Case, user: Any, data: dict[str, Any]) -> None:
    """签收 by the lead department."""
    case_services.case_sign(case=case, actor=user, version=data["version"])


def _return(case: Case, user: Any, data: dict[str, Any]) -> None:
    """退单: not ours, with the reason; back to the dispatching center."""
    case_services.case_return(case=case, actor=user, reason=data["reason"], version=data["version"])


def _hard(case: Case, user: Any, data: dict[str, Any]) -> None:
    """疑难: ask the department's leader for hard-matter status."""
    case_services.case_request_hard(
        case=case, actor=user, reason=data["reason"], version=data["version"]
    )


def _extension(case: Case, user: Any, data: dict[str, Any]) -> None:
    """延期: ask for more days (capped in total by the deadline policy)."""
    case_services.case_request_extension(
        case=case, actor=user, days=data["days"], reason=data["reason"], version=data["version"]
    )


def _reply(case: Case, user: Any, data: dict[str, Any]) -> None:
    """答复 by the department; the center reviews it before the resident sees it."""
    case_services.case_reply(case=case, actor=user, text=data["text"], version=data["version"])


def _review(case: Case, user: Any, data: dict[str, Any]) -> None:
    """The center approves the reply or sends it back (a note is then required)."""
    case_services.case_review_reply(
        case=case,
        actor=user,
        approve=data["decision"] == "approve",
        note=data["note"],
        version=data["version"],
    )


def _supervise(case: Case, user: Any, data: dict[str, Any]) -> None:
    """督办: a notice to the handling department from a center above the case."""
    case_services.case_supervise(
        case=case, actor=user, message=data["message"], version=data["version"]
    )


def _return_visit(case: Case, user: Any, data: dict[str, Any]) -> None:
    """回访: the resident's rating taken by the center; unsatisfied reopens the case."""
    case_services.case_return_visit(
        case=case,
        actor=user,
        rating=Rating(data["rating"]),
        note=data["note"],
        version=data["version"],
    )


def _merge(case: Case, user: Any, data: dict[str, Any]) -> None:
    """合并: this case duplicates ``into``; it closes and its reporters move over."""
    into = Case.objects.visible_to(user).filter(number=data["into"].strip()).first()
    if into is None:
        raise _field_error("into", _("No case with number %(number)s.") % {"number": data["into"]})
    # The merge service locks two cases and takes no version: compare it here, as the page.
    if data["version"] != case.version:
        raise case_services.StaleCaseError(
            _("Someone else acted on case %(number)s a moment ago; read it again.")
            % {"number": case.number}
        )
    case_services.case_merge(duplicate=case, into=into, actor=user)


def _decide(case: Case, user: Any, data: dict[str, Any]) -> None:
    """A department leader approves or denies a pending hard-matter or extension request."""
    found = case_selectors.requests_visible_to(user).filter(case=case, pk=data["request"]).first()
    if found is None:
        raise _field_error("request", _("This case has no request with this id."))
    found.case = case
    case_services.case_decide_request(
        request=found, actor=user, approve=data["decision"] == "approve", note=data["note"]
    )


_CREATE_RESPONSES = {
    201: OpenApiResponse(api.CaseSerializer, description="Created."),
    200: OpenApiResponse(
        api.CaseSerializer, description="Already received with this external_id: the same case."
    ),
}


@extend_schema(tags=["cases"])
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Case]):
    """Cases in the caller's scope, with the workbench's filters; every workflow move is an
    action endpoint calling the same service as the case page."""

    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    filterset_class = CaseFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at"]
    pagination_class = CreatedCursorPagination

    def get_queryset(self) -> QuerySet[Case]:
        user = self.request.user
        if self.action == "list":
            return Case.objects.visible_to(user).select_related("category")
        return case_selectors.cases_for_page(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "retrieve":
            return api.CaseDetailSerializer
        if self.action == "create":
            return api.CaseCreateSerializer
        return api.CaseSerializer

    def parse(self, serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def detail_of(self, number: str) -> Any:
        """The case as the caller sees it now: facts, timeline, reporters, requests, moves."""
        case = case_selectors.cases_for_page(self.request.user).filter(number=number).first()
        if case is None:  # merged or moved out of the caller's scope by the move itself
            return {"number": number}
        requests = list(case_selectors.case_requests(case))
        pending = {r.kind for r in requests if r.status == "pending"}
        case.api_timeline = list(case_selectors.case_timeline(case))  # type: ignore[attr-defined]
        case.api_reporters = list(case_selectors.case_reporters(case))  # type: ignore[attr-defined]
        case.api_requests = requests  # type: ignore[attr-defined]
        # IsStaffAccount has let only an authenticated staff account this far.
        user = cast("User", self.request.user)
        case.api_actions = sorted(allowed_actions(user, case, pending))  # type: ignore[attr-defined]
        return api.CaseDetailSerializer(case, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        return Response(self.detail_of(case.number))

    @extend_schema(
        request=api.CaseCreateSerializer,
        responses=_CREATE_RESPONSES,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Same as external_id, as a header (the body's value wins).",
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Receive a case. With ``external_id`` (or an ``Idempotency-Key`` header) sending
        the same case again answers 200 with the case the first send created."""
        user = request.user
        if case_selectors.workbench_kind(user) != "center":
            raise PermissionDenied(
                _("Only a center's account (or an administrator's) can receive cases.")
            )
        data = self.parse(api.CaseCreateSerializer, request)
        external_id = data.get("external_id") or self._header_key(request)
        category = lookups.active_category(data["category"])
        if category is None:
            raise _field_error(
                "category",
                _("No category in use has the code “%(code)s”.") % {"code": data["category"]},
            )
        territory_code, household_id = self._location(user, data)
        limit = request.auth.territory_code if isinstance(request.auth, ApiKey) else ""
        if limit and not is_within(territory_code, limit):
            # The key's own territory limit, as Open311 applies it (docs/integration.md).
            raise PermissionDenied(
                _("This API key may only report cases in territory %(code)s.") % {"code": limit}
            )
        reporter_data = data.get("reporter")
        reporter = (
            ReporterInput(
                kind=ReporterKind(reporter_data["kind"]),
                name=reporter_data["name"].strip(),
                phone=reporter_data["phone"],
                household_id=household_id
                if reporter_data["kind"] == ReporterKind.HOUSEHOLD
                else None,
            )
            if reporter_data
            else None
        )
        case, created = case_services.case_submit(
            case_type=CaseType(data["case_type"]),
            category=category,
            channel=Channel(data["channel"]),
            title=data["title"],
            description=data["description"],
            territory_code=territory_code,
            household_id=household_id,
            address=data["address"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            urgency=Urgency(data["urgency"]),
            reporter=reporter,
            idempotency_key=idempotency_key_for(request, external_id) if external_id else None,
            actor=user,
        )
        location = reverse("api:case-detail", kwargs={"number": case.number})
        body = api.case_summary(case, request.build_absolute_uri(location))
        return Response(
            body,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": location},
        )

    @staticmethod
    def _header_key(request: Request) -> str | None:
        value = request.headers.get("Idempotency-Key", "").strip()
        if not value:
            return None
        if (
            len(value) > 64
            or not all(c.isalnum() or c in "._:-" for c in value)
            or not value.isascii()
        ):
            raise _field_error(
                "Idempotency-Key", _("Use 1 to 64 letters, digits, “.”, “_”, “:” or “-”.")
            )
        return value

    @staticmethod
    def _location(user: Any, data: dict[str, Any]) -> tuple[str, int | None]:
        """(territory code, household id): a household wins over a code, as on the intake
        form; either must lie in the caller's territory."""
        household_id = data.get("household")
        if household_id:
            code = (
                Household.objects.visible_to(user)
                .filter(pk=household_id)
                .values_list("territory_code", flat=True)
                .first()
            )
            if code is None:
                raise _field_error("household", _("No household with this id in your territory."))
            return code, household_id
        code = data["territory_code"]
        if not user.covers(code) or not lookups.place_exists(code):
            raise _field_error("territory_code", _("No place with this code in your territory."))
        return code, None

    accept = _move("accept", api.MoveSerializer, _accept)
    reject = _move("reject", api.ReasonMoveSerializer, _reject)
    escalate = _move("escalate", api.ReasonMoveSerializer, _escalate)
    resolve = _move("resolve", api.ResolveMoveSerializer, _resolve)
    dispatch_to = _move("dispatch", api.DispatchMoveSerializer, _dispatch, attribute="dispatch_to")
    sign = _move("sign", api.MoveSerializer, _sign)
    return_ = _move("return", api.ReasonMoveSerializer, _return, attribute="return_")
    hard = _move("hard", api.ReasonMoveSerializer, _hard)
    extension = _move("extension", api.ExtensionMoveSerializer, _extension)
    reply = _move("reply", api.ReplyMoveSerializer, _reply)
    review = _move("review", api.ReviewMoveSerializer, _review)
    supervise = _move("supervise", api.SuperviseMoveSerializer, _supervise)
    return_visit = _move("return_visit", api.ReturnVisitMoveSerializer, _return_visit)
    merge = _move("merge", api.MergeMoveSerializer, _merge)
    decide = _move("decide", api.DecideMoveSerializer, _decide)


# --- Disputes and bulletins -----------------------------------------------------------------


@extend_schema(tags=["disputes"])
class DisputeViewSet(viewsets.ReadOnlyModelViewSet[Dispute]):
    """The dispute register in the caller's scope (read-only here)."""

    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    filterset_class = DisputeFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = CreatedCursorPagination

    def get_queryset(self) -> QuerySet[Dispute]:
        return Dispute.objects.visible_to(self.request.user).select_related("case")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return api.DisputeDetailSerializer if self.action == "retrieve" else api.DisputeSerializer


@extend_schema(tags=["bulletins"])
class BulletinViewSet(viewsets.ReadOnlyModelViewSet[Bulletin]):
    """Warnings and publicity aimed at, above or below the caller's territory."""

    serializer_class = api.BulletinSerializer
    filterset_class = BulletinFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Bulletin]:
        return Bulletin.objects.visible_to(self.request.user).order_by("-valid_from", "-id")


# --- Anything else under /api/ ------------------------------------------------------------------


class NotFoundView(APIView):
    """An address under /api/ that names no resource: a problem document, not an HTML page."""

    permission_classes = [PublicResource]
    authentication_classes: list[Any] = []
    schema = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = problem_response(
            status_code=404,
            detail=_("No API resource at this address. The resources are listed at /api/v1/."),
            instance=request.path,
        )
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response
