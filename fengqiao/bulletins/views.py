"""Staff pages of bulletins, mounted at /bulletins/: the scoped list, publish, a bulletin's
page with its history, edit and withdraw.

Every bulletin is fetched through ``Bulletin.objects.visible_to(user)``, so one outside the
user's scope answers 404 exactly like a missing one. Publishing, editing and withdrawing each
call one service; the service decides what is allowed (a refusal for bad input or a bulletin
that can no longer change comes back as its message on the page; an actor who may never do
it gets 403). Pages offer only what ``scoping.can_manage`` allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.bulletins import selectors
from fengqiao.bulletins.choices import BulletinKind, BulletinState, BulletinUrgency
from fengqiao.bulletins.forms import BulletinFilterForm, BulletinForm, WithdrawForm
from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.scoping import can_manage, can_publish, reader_prefix
from fengqiao.bulletins.services import bulletin_edit, bulletin_publish, bulletin_withdraw
from fengqiao.cases.selectors import place_names

PAGE_SIZE = 50
RESULTS_TARGET = "bulletin-results"
# How a state looks (the project's badge styles).
STATE_BADGE = {
    BulletinState.IN_FORCE: "badge ok",
    BulletinState.SCHEDULED: "badge yellow",
    BulletinState.EXPIRED: "badge",
    BulletinState.WITHDRAWN: "badge red",
}


class StaffRequest(HttpRequest):
    """A request that passed ``login_required``; ``htmx`` comes from django-htmx."""

    user: Any
    htmx: Any


@dataclass(frozen=True)
class Row:
    bulletin: Bulletin
    state: BulletinState
    badge: str
    place: str
    can_manage: bool


def _row(bulletin: Bulletin, user: Any, now: Any, places: dict[str, str]) -> Row:
    state = bulletin.state_at(now)
    return Row(
        bulletin=bulletin,
        state=state,
        badge=STATE_BADGE[state],
        place=places.get(bulletin.territory_code, bulletin.territory_code),
        can_manage=can_manage(user, bulletin.territory_code),
    )


def _require_reader(user: Any) -> None:
    # Department staff (other than a center's leader) have no territory to read around.
    if reader_prefix(user) is None:
        raise PermissionDenied


def _visible(user: Any, pk: int) -> Bulletin:
    bulletin = selectors.bulletin_for_page(user, pk)
    if bulletin is None:
        raise Http404
    return bulletin


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


_CHOICE_LABELS = {"kind": BulletinKind, "urgency": BulletinUrgency}


def _changes(changes: dict[str, list[str]]) -> list[Change]:
    """An edit event's changes as the history shows them: field labels, choice labels."""
    lines = []
    for field, (before, after) in changes.items():
        choices = _CHOICE_LABELS.get(field)
        if choices is not None:
            before, after = (
                str(choices(v).label) if v in choices.values else v for v in (before, after)
            )
        label = capfirst(str(getattr(Bulletin._meta.get_field(field), "verbose_name", field)))
        lines.append(Change(label=label, before=before, after=after))
    return lines


def _add_errors(form: Form, error: ValidationError) -> None:
    """A service's refusal on the form: per field where it names one of the form's fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@never_cache
@login_required
@require_GET
def bulletin_list(request: StaffRequest) -> HttpResponse:
    """Every bulletin the user may see, filtered by state, kind, urgency, target and text; 50
    a page. An htmx request from the filter or a page link gets the results alone."""
    user = request.user
    _require_reader(user)
    now = timezone.now()
    form = BulletinFilterForm(request.GET)
    bulletins = selectors.search_bulletins(user, now=now, **form.filters())
    page = Paginator(bulletins, PAGE_SIZE).get_page(request.GET.get("page"))
    places = place_names(b.territory_code for b in page)
    context = {
        "form": form,
        "page": page,
        "rows": [_row(b, user, now, places) for b in page],
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "list_url": request.path,
        "can_publish": can_publish(user),
    }
    htmx = request.htmx
    wants_fragment = htmx and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    response = render(
        request, "bulletins/_results.html" if wants_fragment else "bulletins/list.html", context
    )
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def bulletin_new(request: StaffRequest) -> HttpResponse:
    user = request.user
    if not can_publish(user):
        raise PermissionDenied
    form = BulletinForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bulletin = bulletin_publish(
                actor=user,
                kind=BulletinKind(data["kind"]),
                urgency=BulletinUrgency(data["urgency"]),
                title=data["title"],
                body=data["body"],
                territory_code=data["territory_code"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Bulletin “%(title)s” published.") % {"title": bulletin})
            return redirect("bulletins:detail", bulletin.pk)
    return render(request, "bulletins/form.html", {"form": form, "bulletin": None})


@never_cache
@login_required
@require_GET
def bulletin_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible(request.user, pk))


def _detail(
    request: StaffRequest, bulletin: Bulletin, withdraw_form: WithdrawForm | None = None
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    row = _row(bulletin, user, now, place_names([bulletin.territory_code]))
    changeable = row.can_manage and row.state in (BulletinState.SCHEDULED, BulletinState.IN_FORCE)
    if withdraw_form is None and changeable:
        withdraw_form = WithdrawForm(initial={"version": bulletin.version})
    context = {
        "bulletin": bulletin,
        "row": row,
        "changeable": changeable,
        "withdraw_form": withdraw_form,
        "history": [
            (event, _changes(event.changes)) for event in selectors.bulletin_history(bulletin)
        ],
    }
    return render(request, "bulletins/detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def bulletin_change(request: StaffRequest, pk: int) -> HttpResponse:
    user = request.user
    bulletin = _visible(user, pk)
    if not can_manage(user, bulletin.territory_code):
        raise PermissionDenied
    form = BulletinForm(request.POST or None, user=user, bulletin=bulletin)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            before = bulletin.version
            bulletin = bulletin_edit(
                bulletin=bulletin,
                actor=user,
                kind=BulletinKind(data["kind"]),
                urgency=BulletinUrgency(data["urgency"]),
                title=data["title"],
                body=data["body"],
                territory_code=data["territory_code"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                version=data["version"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if bulletin.version == before:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(request, _("Bulletin “%(title)s” saved.") % {"title": bulletin})
            return redirect("bulletins:detail", bulletin.pk)
    return render(request, "bulletins/form.html", {"form": form, "bulletin": bulletin})


@login_required
@require_POST
def bulletin_withdraw_view(request: StaffRequest, pk: int) -> HttpResponse:
    user = request.user
    bulletin = _visible(user, pk)
    if not can_manage(user, bulletin.territory_code):
        raise PermissionDenied
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            bulletin = bulletin_withdraw(
                bulletin=bulletin,
                actor=user,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Bulletin “%(title)s” withdrawn.") % {"title": bulletin})
            return redirect("bulletins:detail", bulletin.pk)
    bulletin.refresh_from_db()
    return _detail(request, bulletin, withdraw_form=form)
