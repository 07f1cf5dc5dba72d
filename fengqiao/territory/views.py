"""Staff pages of the territory: areas, grids, ten-household units, household files, search.

Every object is fetched through the scoped querysets of ``selectors`` with
``get_object_or_404``, so anything outside the user's scope answers 404 exactly like a
missing row. Department staff have no territory: their scope is the cases sent to their
department (the case loop), so every page here is empty or 404 for them.

List pages answer htmx requests aimed at their list with the list fragment alone, so the
filter and the page links swap the table without reloading the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.org.models import User
from fengqiao.territory import selectors, services
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.forms import HouseholdFilterForm, SearchForm
from fengqiao.territory.models import Household

PAGE_SIZE = 50
HOUSEHOLDS_TARGET = "households"
SEARCH_RESULTS_TARGET = "search-results"
UNMASKABLE_FIELDS = frozenset({"id_number", "phone"})


class StaffRequest(HttpRequest):
    """A request that passed ``login_required``: ``user`` is a staff account. ``htmx`` comes
    from django-htmx's middleware."""

    user: User
    htmx: Any


def _households_page(request: StaffRequest, households: QuerySet[Household]) -> dict[str, Any]:
    """One page of 50 households with its page links, for ``_households.html``.

    Numbered pages cost a COUNT, a range count on the (territory_code, id) index, and an
    OFFSET, which ``HouseholdPages`` makes walk that index alone; both stay within the page
    budget even county-wide. Keyset "next" links would drop the OFFSET but also "page 7 of
    140" and jumping to a page, which a grid worker going through a list needs more.
    """
    paginator = Paginator(selectors.HouseholdPages(households), PAGE_SIZE)
    page: Page[Household] = paginator.get_page(request.GET.get("page"))
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return {"page": page, "page_numbers": list(numbers), "list_url": request.path}


def _render(
    request: StaffRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str,
    target: str,
) -> HttpResponse:
    """The whole page, or only ``fragment`` for an htmx request swapping element ``target``.

    A history restore (back button after the cache was skipped) needs the whole page.
    """
    htmx = request.htmx
    wants_fragment = htmx and htmx.target == target and not htmx.history_restore_request
    response = render(request, fragment if wants_fragment else template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache
@login_required
def browse(request: StaffRequest) -> HttpResponse:
    """The root of the user's territory: redirects to their area, grid or unit page; lists the
    top-level areas for an administrator without a scope; explains to department staff that
    their work reaches them as cases."""
    target = selectors.scope_target(request.user)
    if target is None:
        return render(request, "territory/no_territory.html")
    kind, code = target
    if kind == "top":
        context = {
            "area": None,
            "crumbs": [],
            "children": selectors.child_areas(user=request.user, area=None),
        }
        return render(request, "territory/area.html", context)
    return redirect(f"territory:{kind}", code)


@never_cache
@login_required
def area(request: StaffRequest, code: str) -> HttpResponse:
    """An area with what lies directly under it: child areas with their grid and household
    counts, or for a village or community its grids and party groups."""
    user = request.user
    found = get_object_or_404(selectors.current_areas(user=user), territory_code=code)
    context: dict[str, Any] = {
        "area": found,
        "crumbs": selectors.breadcrumb(user=user, code=found.territory_code),
    }
    if found.level == AreaLevel.VILLAGE:
        context["grids"] = selectors.village_grids(user=user, village=found)
        context["party_groups"] = selectors.village_party_groups(user=user, village=found)
    else:
        context["children"] = selectors.child_areas(user=user, area=found)
    return render(request, "territory/area.html", context)


@never_cache
@login_required
def area_households(request: StaffRequest, code: str) -> HttpResponse:
    """The households of an area, 50 a page, narrowed by grid and by doorplate text."""
    user = request.user
    found = get_object_or_404(selectors.current_areas(user=user), territory_code=code)
    form = HouseholdFilterForm(request.GET, grids=selectors.filter_grids(user=user, area=found))
    households = selectors.household_list(
        user=user, under=form.grid_code() or found.territory_code, text=form.text()
    )
    crumbs = selectors.breadcrumb(user=user, code=found.territory_code)
    crumbs.append(selectors.Crumb(found.name, reverse("territory:area", args=[code])))
    context = {
        "area": found,
        "crumbs": crumbs,
        "form": form,
        "show_grid": True,
        "show_unit": True,
        **_households_page(request, households),
    }
    return _render(
        request,
        "territory/area_households.html",
        context,
        fragment="territory/_households.html",
        target=HOUSEHOLDS_TARGET,
    )


@never_cache
@login_required
def grid(request: StaffRequest, code: str) -> HttpResponse:
    """A grid: its village, party group, grid workers, ten-household units and households."""
    user = request.user
    found = get_object_or_404(selectors.grids(user=user), code=code)
    form = HouseholdFilterForm(request.GET)
    context = {
        "grid": found,
        "crumbs": selectors.breadcrumb(user=user, code=found.code),
        "workers": selectors.grid_workers(grid=found),
        "units": selectors.grid_units(user=user, grid=found),
        "form": form,
        "show_unit": True,
        **_households_page(
            request, selectors.household_list(user=user, under=found.code, text=form.text())
        ),
    }
    return _render(
        request,
        "territory/grid.html",
        context,
        fragment="territory/_households.html",
        target=HOUSEHOLDS_TARGET,
    )


@never_cache
@login_required
def unit(request: StaffRequest, code: str) -> HttpResponse:
    """A ten-household unit (联户体): its head and its households."""
    user = request.user
    found = get_object_or_404(selectors.units(user=user), code=code)
    form = HouseholdFilterForm(request.GET)
    context = {
        "unit": found,
        "crumbs": selectors.breadcrumb(user=user, code=found.code, grid=found.grid),
        "form": form,
        **_households_page(
            request, selectors.household_list(user=user, under=found.code, text=form.text())
        ),
    }
    return _render(
        request,
        "territory/unit.html",
        context,
        fragment="territory/_households.html",
        target=HOUSEHOLDS_TARGET,
    )


@never_cache
@login_required
def household(request: StaffRequest, pk: int) -> HttpResponse:
    """The household file (一户一档) with one table per member (一人一表). ID numbers and
    phones are masked; a user allowed to unmask gets a button per value that asks for it
    (and is audited)."""
    user = request.user
    found = get_object_or_404(selectors.households(user=user), pk=pk)
    context = {
        "household": found,
        "crumbs": selectors.breadcrumb(
            user=user, code=found.territory_code, grid=found.grid, unit=found.unit
        ),
        "members": selectors.household_members(user=user, household=found),
        "can_unmask": user.has_perm("org.unmask_personal"),
        "grid_linked": user.covers(found.grid.code),
        "unit_linked": found.unit is not None and user.covers(found.unit.code),
    }
    return render(request, "territory/household.html", context)


@never_cache
@login_required
@require_POST
def person_unmask(request: StaffRequest, pk: int, field: str) -> HttpResponse:
    """The full ID number or phone of one person, as a fragment replacing the masked value.

    The person must be in scope (else 404) and the user needs ``org.unmask_personal`` (else
    the service refuses: 403); each answer is written to the audit log by the service.
    """
    if field not in UNMASKABLE_FIELDS:
        raise Http404
    person = get_object_or_404(selectors.persons(user=request.user), pk=pk)
    value = services.person_unmask(person=person, field=field, actor=request.user, request=request)
    return render(request, "territory/_unmasked.html", {"value": value})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def search(request: StaffRequest) -> HttpResponse:
    """Find persons and households by name, doorplate, ID number or mobile number.

    The page's own form posts, so that an ID number or phone typed into it stays out of the
    URL (and so out of access logs, browser history and Referer headers); ``?q=`` works too,
    for links. A searched ID number or phone is shown back masked only.
    """
    form = SearchForm(request.POST if request.method == "POST" else request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = selectors.search(user=request.user, query=query) if query else None
    if results is not None and results.kind != "text":
        form = SearchForm()  # do not write the full number back into the search box
    context = {"form": form, "results": results, "limit": selectors.SEARCH_LIMIT}
    return _render(
        request,
        "territory/search.html",
        context,
        fragment="territory/_search_results.html",
        target=SEARCH_RESULTS_TARGET,
    )
