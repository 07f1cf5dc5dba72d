"""The case ledger (案件台账): the case list as a spreadsheet, under the list's own filters.

The rows are exactly the list's: the same filter form (``cases.forms.CaseFilterForm``), the
same translation of its fields into conditions (``CaseFilterForm.search_arguments``) and the same
selector (``cases.selectors.search_cases``, which reads through ``Case.objects.visible_to``),
in the list's order. Unlike the list, which drops a wrong value and applies the rest, an
export refuses a filter it cannot read, so that nobody files a ledger believing it filtered.

100,000 rows must take under a minute at constant memory: the cases' ids are read in the
list's order with ``.iterator()``, then each chunk's columns as tuples (``values_list``);
categories, departments, places and reporters are looked up per chunk in bulk (a few queries
per 2,000 rows, never one per row); ``ledgers.xlsx`` streams the rows to the file.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone, translation

from fengqiao.cases.choices import CaseStatus, CaseType, Channel, DeadlineState, Rating, Urgency
from fengqiao.cases.deadlines import deadline_state
from fengqiao.cases.forms import CaseFilterForm
from fengqiao.cases.models import Case, CaseReporter, Category
from fengqiao.cases.selectors import place_names, search_cases
from fengqiao.ledgers.workbook import (
    Destination,
    Progress,
    Written,
    chunks,
    data_sheet,
    describe_filters,
    form_filters,
    full_values,
    info_sheet,
    labels,
    shown,
)
from fengqiao.ledgers.xlsx import Workbook
from fengqiao.org.models import Department

TITLE = "案件台账"
SHEET = "案件台账"
CHUNK = 2000
SEPARATOR = "；"

COLUMNS: tuple[tuple[str, float], ...] = (
    ("受理编号", 22),
    ("标题", 28),
    ("类型", 8),
    ("分类", 20),
    ("来源渠道", 12),
    ("紧急程度", 8),
    ("所在地", 26),
    ("详细地址", 22),
    ("诉求内容", 48),
    ("状态", 10),
    ("主办部门", 18),
    ("受理时间", 17),
    ("答复时限", 17),
    ("时限状态", 10),
    ("疑难事项", 8),
    ("延期天数", 8),
    ("退单次数", 8),
    ("重办次数", 8),
    ("就地办结", 8),
    ("答复时间", 17),
    ("办结时间", 17),
    ("答复内容", 40),
    ("评价", 10),
    ("评价意见", 24),
    ("反映人", 14),
    ("反映人电话", 16),
)
HEADERS = tuple(header for header, _width in COLUMNS)

# What a row reads, in this order (one tuple per case; no model instances).
_FIELDS = (
    "id",
    "number",
    "title",
    "case_type",
    "category_id",
    "channel",
    "urgency",
    "territory_code",
    "address",
    "description",
    "status",
    "lead_department_id",
    "created_at",
    "reply_due_at",
    "warn_at",
    "is_hard",
    "extension_days",
    "return_count",
    "reopen_count",
    "resolved_on_spot",
    "replied_at",
    "closed_at",
    "reply_text",
    "rating",
    "rating_comment",
)
YES, NO = "是", "否"


def _invalid(form: CaseFilterForm) -> ValidationError:
    """The form's errors as one message per field, naming the field as the page does."""
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.append(f"{label}：{error}" if label else str(error))
    return ValidationError(messages)


class CaseLedger:
    """The cases ``actor`` sees under the list's filters ``params`` (its query string), as
    the list showed them at ``now`` (the deadline filter and column depend on the time)."""

    def __init__(
        self,
        *,
        params: Mapping[str, Any],
        actor: Any,
        now: datetime.datetime,
        unmask: bool = False,
    ) -> None:
        form = CaseFilterForm(params, user=actor)
        if not form.is_valid():
            raise _invalid(form)
        self.actor = actor
        self.now = now
        self.form = form
        self.filters = form_filters(form, params)
        self.unmasked = full_values(actor, asked=unmask)
        lookups, where, text, queue = form.search_arguments(now)
        self.cases: QuerySet[Case] = search_cases(
            actor, text=text, where=where, queue=queue, now=now, **lookups
        )

    def count(self) -> int:
        return self.cases.count()

    def write(self, destination: Destination, *, progress: Progress | None = None) -> Written:
        with Workbook() as workbook, translation.override("zh-hans"):
            sheet = data_sheet(workbook, SHEET, COLUMNS, freeze="C2")
            row_of = _Rows(unmasked=self.unmasked, now=self.now)
            count = 0
            for chunk in self._chunks():
                for values in row_of.chunk(chunk):
                    sheet.append(values)
                count += len(chunk)
                if progress is not None:
                    progress(count)
            filters = describe_filters(self.form, names={"category": row_of.category_name})
            info_sheet(workbook, title=TITLE, actor=self.actor, filters=filters, rows=count)
            workbook.save(destination)
        return Written(rows=count, detail={"kind": "case_ledger"})

    def _chunks(self) -> Iterator[list[tuple[Any, ...]]]:
        """The rows in the list's order, CHUNK at a time.

        The order is read first as ids only, then each chunk's columns by primary key: a
        database sorts what it returns, and SQLite (``temp_store=MEMORY``) would otherwise sort
        every column of every row in memory before the first row came back, memory growing
        with the ledger. Sorting ids alone takes a few bytes a row."""
        ordered = self.cases.values_list("id", flat=True).iterator(chunk_size=CHUNK)
        for ids in chunks(ordered, CHUNK):
            found = {row[0]: row for row in Case.objects.filter(pk__in=ids).values_list(*_FIELDS)}
            yield [found[pk] for pk in ids if pk in found]


class _Rows:
    """Turns chunks of case tuples into ledger rows; names are looked up in bulk and kept
    for the following chunks (labels once per export, in Chinese)."""

    def __init__(self, *, unmasked: bool, now: datetime.datetime) -> None:
        self.unmasked = unmasked
        self.now = now
        self.types = labels(CaseType)
        self.channels = labels(Channel)
        self.urgencies = labels(Urgency)
        self.statuses = labels(CaseStatus)
        self.ratings = labels(Rating)
        self.deadlines = labels(DeadlineState)
        self.deadlines[DeadlineState.NONE] = ""
        # The category tree is small: read it whole, name each leaf "parent › child".
        tree = {
            pk: (name, parent)
            for pk, name, parent in Category.objects.values_list("id", "name", "parent_id")
        }
        self.categories = {
            pk: f"{tree[parent][0]} › {name}" if parent in tree else name
            for pk, (name, parent) in tree.items()
        }
        self.departments: dict[int, str] = {}
        self.places: dict[str, str] = {}
        self.zone = timezone.get_current_timezone()

    def local(self, moment: datetime.datetime | None) -> datetime.datetime | None:
        """``workbook.local`` with the zone looked up once (four times a row, 100,000 rows)."""
        if moment is None:
            return None
        return moment.astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def category_name(self, pk: Any) -> str:
        return self.categories.get(pk, str(pk))

    def _learn(self, chunk: list[tuple[Any, ...]]) -> dict[int, list[tuple[str, Any]]]:
        """Bulk look-ups for one chunk: unseen departments and places, and the reporters."""
        departments = {row[11] for row in chunk if row[11] is not None} - self.departments.keys()
        if departments:
            self.departments.update(
                Department.objects.filter(pk__in=departments).values_list("id", "name")
            )
        places = {row[7] for row in chunk} - self.places.keys()
        if places:
            self.places.update(place_names(places))
        reporters: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        for case_id, name, phone in (
            CaseReporter.objects.filter(case_id__in=[row[0] for row in chunk])
            .order_by("case_id", "id")
            .values_list("case_id", "name", "phone")
        ):
            reporters[case_id].append((name, phone))
        return reporters

    def chunk(self, chunk: list[tuple[Any, ...]]) -> list[list[Any]]:
        reporters = self._learn(chunk)
        return [self.row(values, reporters.get(values[0], [])) for values in chunk]

    def row(self, values: tuple[Any, ...], reporters: list[tuple[str, Any]]) -> list[Any]:
        (
            _pk,
            number,
            title,
            case_type,
            category_id,
            channel,
            urgency,
            territory_code,
            address,
            description,
            status,
            department_id,
            created_at,
            reply_due_at,
            warn_at,
            is_hard,
            extension_days,
            return_count,
            reopen_count,
            resolved_on_spot,
            replied_at,
            closed_at,
            reply_text,
            rating,
            rating_comment,
        ) = values
        state = deadline_state(status=status, due=reply_due_at, warn_at=warn_at, now=self.now)
        return [
            number,
            title,
            self.types.get(case_type, case_type),
            self.categories.get(category_id, ""),
            self.channels.get(channel, channel),
            self.urgencies.get(urgency, urgency),
            self.places.get(territory_code, territory_code),
            address,
            description,
            self.statuses.get(status, status),
            self.departments.get(department_id, "") if department_id else "",
            self.local(created_at),
            self.local(reply_due_at),
            self.deadlines.get(state, ""),
            YES if is_hard else NO,
            extension_days,
            return_count,
            reopen_count,
            YES if resolved_on_spot else NO,
            self.local(replied_at),
            self.local(closed_at),
            reply_text,
            self.ratings.get(rating, rating),
            rating_comment,
            # The n-th name and the n-th phone belong to the n-th reporter.
            SEPARATOR.join(name for name, _phone in reporters),
            SEPARATOR.join(
                shown(phone, "phone", unmasked=self.unmasked) for _name, phone in reporters
            ),
        ]
