"""The case loop's moves. Each is one keyword-only function that locks the case, checks the
state and the actor's role and scope, changes the case, and appends one ``CaseEvent`` — all in
one transaction. Nothing else writes a case's status.

Two people acting on the same case at once: the row lock (``select_for_update`` on
PostgreSQL; SQLite's write transactions are serialised) makes one wait for the other, and the
state guard then refuses the second with the current state named. Forms also carry the
version they showed, so a decision taken on a stale page is refused too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models import F, Model, Q
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, post_save, pre_init, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.choices import (
    DEADLINE_STATUSES,
    HOLDER_CODE_LENGTHS,
    CaseStatus,
    CaseType,
    Channel,
    EventKind,
    Rating,
    ReporterKind,
    RequestKind,
    RequestStatus,
    Urgency,
)
from fengqiao.cases.deadlines import due_after, level_of, policy_for, warn_time
from fengqiao.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseReporter,
    CaseRequest,
    Category,
    Notification,
    SupervisionNotice,
)
from fengqiao.cases.routing import Route, route
from fengqiao.core.codes import is_within
from fengqiao.core.db import execute_direct, execute_prepared
from fengqiao.core.privacy import lookup_digest
from fengqiao.org.choices import Role
from fengqiao.org.models import Department, User
from fengqiao.stats import tally
from fengqiao.stats.models import CaseTallyDelta
from fengqiao.territory.models import Household

# ---------------------------------------------------------------------------------------
# Errors


class TransitionError(ValidationError):
    """The move is not allowed in the case's current state; the message names the state."""


class StaleCaseError(TransitionError):
    """Someone acted on the case after the page was shown."""


def _refuse(case: Case, move: str) -> TransitionError:
    return TransitionError(
        _("Cannot %(move)s case %(number)s: it is now “%(status)s”.")
        % {"move": move, "number": case.number, "status": case.get_status_display()}
    )


# ---------------------------------------------------------------------------------------
# Who may act


def is_administrator(user: Any) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def is_holder(user: Any, case: Case) -> bool:
    """An operator of the center (or the grid worker of the grid) that holds the case; an
    administrator whose scope covers it."""
    if is_administrator(user):
        return bool(user.covers(case.territory_code))
    if user.role in (Role.CENTER_OPERATOR, Role.GRID_WORKER):
        return bool(user.scope_code == case.holder_code)
    return False


def is_center_holder(user: Any, case: Case) -> bool:
    """The holder, when it is a center: accepting, rejecting and dispatching are a center's
    work (a grid worker resolves on the spot or escalates)."""
    return is_holder(user, case) and user.role != Role.GRID_WORKER


def is_supervisor(user: Any, case: Case) -> bool:
    """A center operator at the holding level or above (督办 comes from a center); an
    administrator whose scope covers the case."""
    if is_administrator(user):
        return bool(user.covers(case.territory_code))
    return user.role == Role.CENTER_OPERATOR and is_within(case.holder_code, user.scope_code)


def is_lead_department_staff(user: Any, case: Case) -> bool:
    return (
        user.role in (Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER)
        and case.lead_department_id is not None
        and user.department_id == case.lead_department_id
    )


def is_lead_department_leader(user: Any, case: Case) -> bool:
    return user.role == Role.DEPARTMENT_LEADER and user.department_id == case.lead_department_id


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# ---------------------------------------------------------------------------------------
# Plumbing shared by every move


def _locked(case: Case, expected_version: int | None = None) -> Case:
    """The case row, locked for this transaction, checked against the version a page showed."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleCaseError(
            _(
                "Someone else acted on case %(number)s a moment ago; it is now “%(status)s”. "
                "Reload the page to see what changed."
            )
            % {"number": current.number, "status": current.get_status_display()}
        )
    tally.remember(current)
    return current


def _body(actor: Any, case: Case) -> str:
    """How the acting body appears to residents: a department or a center, never a person."""
    if actor is None:
        return _("The system")
    if getattr(actor, "department_id", None):
        return str(actor.department)
    if getattr(actor, "role", "") == Role.GRID_WORKER:
        return _("Grid worker")
    return _("Governance center")


def _event(
    case: Case,
    kind: EventKind,
    *,
    actor: Any,
    from_status: str,
    note: str = "",
    department: Department | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    if kind == EventKind.RETURN and department is not None:
        tally.record_return(case, department.pk)
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_body=_body(actor, case),
        department=department,
        from_status=from_status,
        to_status=case.status,
        note=note,
        data=data or {},
    )


def _save(case: Case, *fields: str) -> None:
    case.version = F("version") + 1
    case.save(update_fields=[*fields, "version", "updated_at"])
    case.refresh_from_db(fields=["version"])
    tally.record_move(case, fields)


def _notify(users: Iterable[User], case: Case, kind: EventKind, message: str) -> None:
    Notification.objects.bulk_create(
        [Notification(user=u, case=case, kind=kind, message=message[:300]) for u in users]
    )


def _department_staff(department_id: int | None, *, leaders_only: bool = False) -> list[User]:
    if department_id is None:
        return []
    roles = (
        [Role.DEPARTMENT_LEADER]
        if leaders_only
        else [Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER]
    )
    return list(User.objects.filter(department_id=department_id, role__in=roles, is_active=True))


def _center_operators(code: str) -> list[User]:
    role = Role.GRID_WORKER if len(code) == 15 else Role.CENTER_OPERATOR
    return list(User.objects.filter(role=role, scope_code=code, is_active=True))


def _require_note(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Please give %(what)s.") % {"what": what})
    return note


def _start_reply_clock(case: Case, now: datetime.datetime, working_days: int) -> None:
    policy = policy_for(case.case_type, case.level)
    case.reply_due_at = due_after(now, working_days)
    case.warn_at = warn_time(case.reply_due_at, policy)
    case.yellow_raised_at = None
    case.red_raised_at = None


# ---------------------------------------------------------------------------------------
# Intake (受理)
#
# Intake is the busiest write of the loop (a provincial platform pushes hundreds of cases at a
# time; a county receives thousands a day), so it is written to take few statements: one for
# the number, one per row it creates (case, reporter, events: one insert for all of a case's
# events, notifications: one INSERT … SELECT of the recipients), and the idempotency lookup
# when a key is given. Validation is ``full_clean`` of the fields the caller supplies, without
# the foreign-key queries of the ones that come from objects in hand (see ``_received``).


@dataclass(frozen=True)
class ReporterInput:
    kind: ReporterKind = ReporterKind.ANONYMOUS
    name: str = ""
    phone: str = ""
    household_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class CaseInput:
    """One case to receive: what ``case_submit`` takes, as one item of ``case_submit_many``."""

    case_type: CaseType
    category: Category
    channel: Channel
    title: str
    description: str
    territory_code: str
    reporter: ReporterInput | None = None
    household_id: int | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    urgency: Urgency = Urgency.NORMAL
    idempotency_key: str | None = None


class BatchItemError(ValidationError):
    """An item of ``case_submit_many`` is invalid; the batch was refused as a whole.
    ``position`` is the item's index, ``error`` what ``case_submit`` would have raised."""

    def __init__(self, position: int, error: ValidationError) -> None:
        super().__init__(
            _("Item %(number)d of the batch: %(errors)s")
            % {"number": position + 1, "errors": " ".join(error.messages)}
        )
        self.position = position
        self.error = error


# The code length of the center a new case lands at, by channel (see ``initial_holder``).
_INITIAL_HOLDER_LENGTH = {
    Channel.GRID_WORKER: 15,
    Channel.QR_DOORPLATE: 9,
    Channel.PHONE: 9,
    Channel.WINDOW: 9,
    Channel.MOBILE_APP: 9,
    Channel.PROVINCIAL: 6,
    Channel.API: 6,
}


def initial_holder(channel: Channel, territory_code: str) -> str:
    """Where a new case lands: a grid worker's report in the grid; a resident's (doorplate,
    phone, window, app) at the township center (后台派单); a provincial or API case at the
    county center. Never below what the location tells."""
    wanted = _INITIAL_HOLDER_LENGTH[channel]
    for length in HOLDER_CODE_LENGTHS:
        if length <= wanted and length <= len(territory_code):
            return territory_code[:length]
    raise ValidationError(_("The location must be at least a county (6-digit code)."))


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return connection.ops.quote_name(field.column)


class _IntakeSql:
    """The intake's statements, built once per process and database vendor.

    Django's compiler builds a statement anew for every save, filter and bulk_create, which
    is most of an intake's CPU time. These are built once; the values of an INSERT are
    prepared exactly as the compiler prepares them (each field's ``pre_save``, then its
    ``get_db_prep_save``: defaults, auto_now_add, the phone's encryption, JSON). Models with
    save signals connected are saved through ``save()`` instead, so a receiver would still
    run.
    """

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        quote = connection.ops.quote_name
        counter = quote(CaseNumberCounter._meta.db_table)
        # Creates the day's counter or moves it on by the count asked for, and returns the
        # last number taken, in one statement (SQLite ≥ 3.35 and PostgreSQL).
        self.counter = (
            f"INSERT INTO {counter} (county_code, day, last) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (county_code, day) DO UPDATE SET last = {counter}.last + excluded.last "
            "RETURNING last"
        )
        case = Case._meta
        self.case_by_key = (
            f"SELECT {quote(case.pk.column)} FROM {quote(case.db_table)} "  # noqa: S608
            f"WHERE {_column(Case, 'idempotency_key')} = %s"
        )
        notification, user = Notification._meta, User._meta
        columns = ", ".join(
            _column(Notification, name)
            for name in ("user", "case", "kind", "message", "created_at")
        )
        # Everyone concerned but the one who entered the case (they know; 0: no account).
        recipients = (
            f"INSERT INTO {quote(notification.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {quote(user.pk.column)}, %s, %s, %s, %s FROM {quote(user.db_table)} "
            f"WHERE {_column(User, 'is_active')} AND {quote(user.pk.column)} <> %s AND "
        )
        role = _column(User, "role")
        # _center_operators(holder): the grid's workers or the center's operators.
        self.notify_center = f"{recipients}{_column(User, 'scope_code')} = %s AND {role} = %s"
        # _department_staff(lead): its handlers and leaders.
        self.notify_department = (
            f"{recipients}{_column(User, 'department')} = %s AND {role} IN (%s, %s)"
        )
        household = Household._meta
        self.household_exists = (
            f"SELECT 1 FROM {quote(household.db_table)} "  # noqa: S608
            f"WHERE {quote(household.pk.column)} = %s"
        )
        self.inserts: dict[type[Model], _Insert] = {
            model: _Insert(model) for model in (Case, CaseReporter, CaseEvent)
        }
        self.one_statement = _OneStatement(self.inserts) if vendor == "postgresql" else None


# Built-in fields whose ``get_db_prep_save`` gives back a value of the type named here
# unchanged (exact classes: a subclass may convert, as the encrypted phone field does).
_PLAIN_TYPES: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.SlugField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
}


# How ``_Insert._values`` reads a field's value: the intake's time (auto_now(_add)), straight
# from the instance (a pre_save of Django's own that only reads the attribute: the field's,
# or a date or time field's without auto_now(_add) — thirteen of a case's columns are such
# times, and calling their pre_save was two fifths of the cost of its row), or through the
# field's own pre_save.
_READ_NOW, _READ_ATTRIBUTE, _READ_PRE_SAVE = "now", "attribute", "pre_save"
_READING_PRE_SAVES = (
    models.Field.pre_save,
    models.DateField.pre_save,
    models.DateTimeField.pre_save,
)


def _read_as(field: models.Field[Any, Any]) -> str:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return _READ_NOW
    if type(field).pre_save in _READING_PRE_SAVES:
        return _READ_ATTRIBUTE
    return _READ_PRE_SAVE


def _plain_type(field: models.Field[Any, Any]) -> type | None:
    if isinstance(field, models.ForeignKey) and type(field) is models.ForeignKey:
        # A key to an integer primary key is that integer.
        target = field.target_field
        return int if isinstance(target, models.IntegerField) else None
    return _PLAIN_TYPES.get(type(field))


class _Insert:
    """One model's INSERT (see ``_IntakeSql``)."""

    def __init__(self, model: type[Model]) -> None:
        quote = connection.ops.quote_name
        meta = model._meta
        self.model = model
        self.fields = [f for f in meta.local_concrete_fields if not f.primary_key]
        # (field, attname, how its value is read, built in, the type it saves unchanged):
        # see ``_values``.
        self.plan = [
            (
                f,
                f.attname,
                _read_as(f),
                type(f).__module__.startswith("django."),
                _plain_type(f),
            )
            for f in self.fields
        ]
        columns = ", ".join(quote(f.column) for f in self.fields)
        self.head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self.row_sql = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.returning = ""
        if connection.features.can_return_columns_from_insert:
            self.returning = f" RETURNING {quote(meta.pk.column)}"
        self.insert_one = self.head + self.row_sql + self.returning
        # For rows given as {attname: value} (see ``row``): how each absent field is filled.
        self.attnames = [f.attname for f in self.fields]
        self.fills: list[tuple[str, Any]] = []
        for field in self.fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.fills.append(("now", None))
            elif field.has_default() and callable(field.default):
                self.fills.append(("call", field))
            else:
                prepared = field.get_db_prep_save(field.get_default(), connection)
                self.fills.append(("fixed", prepared))
        # Positional construction (``instance``): the values Python sees for absent fields.
        self.python_defaults: list[tuple[bool, Any]] = [
            (True, f.default)
            if f.has_default() and callable(f.default)
            else (False, f.get_default())
            for f in meta.concrete_fields
        ]
        self.all_attnames = [f.attname for f in meta.concrete_fields]
        # ``instance`` may fill the new object's ``__dict__`` itself when ``__init__`` is
        # Django's and every field's attribute is Django's plain one (a key's also forgets
        # the cached object, which a new instance has not got); init signals are checked at
        # each call, as save signals are.
        self.plain_init = model.__init__ is Model.__init__ and all(
            type(getattr(model, name)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for name in self.all_attnames
        )
        # Rows per statement: the database's limit on parameters, for these columns.
        self.batch_size = max(1, connection.ops.bulk_batch_size(self.fields, [None] * 1000))
        self._statements: dict[int, str] = {}

    def statement(self, rows: int) -> str:
        """The INSERT of ``rows`` rows (built once per row count)."""
        sql = self._statements.get(rows)
        if sql is None:
            sql = self._statements[rows] = self.head + ", ".join([self.row_sql] * rows)
        return sql

    def _signalled(self) -> bool:
        return pre_save.has_listeners(self.model) or post_save.has_listeners(self.model)

    def _values(
        self,
        obj: Model,
        into: list[Any],
        now: datetime.datetime | None = None,
        *,
        database: Any = None,
        adapted: Any = None,
    ) -> None:
        """The parameters of ``obj``'s row, as the compiler would give them. With ``now``,
        the auto_now(_add) fields take that time (set on ``obj`` too), adapted once (or
        ``adapted``, when the caller has already adapted it for another row). ``database``:
        the connection, when the caller has it in hand (looking it up costs as much as
        preparing a few columns)."""
        if database is None:
            database = connections[DEFAULT_DB_ALIAS]
        stored = obj.__dict__
        if now is not None and adapted is None:
            adapted = database.ops.adapt_datetimefield_value(now)
        for field, name, read_as, built_in, plain in self.plan:
            if read_as is _READ_ATTRIBUTE:
                value = stored[name]
            elif read_as is _READ_NOW and now is not None:
                stored[name] = now
                into.append(adapted)
                continue
            else:
                value = field.pre_save(obj, True)
            # A built-in field saves None as NULL, a text field any str (its choices' members
            # too: ``to_python`` hands back a str as it is) and a whole-number, yes/no or key
            # field a value of exactly its own type as it is: the long way round for those is
            # most of the cost of preparing a row. Everything else (times, uuids, JSON, the
            # encrypted phone, lazy strings) goes the field's own way.
            if built_in and (
                value is None or type(value) is plain or (plain is str and isinstance(value, str))
            ):
                into.append(value)
            else:
                into.append(field.get_db_prep_save(value, database))

    def _saved(self, obj: Model) -> None:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS

    def instance(self, values: dict[str, Any]) -> Model:
        """``model(**values)`` by the positional path of ``Model.__init__`` (the one
        ``from_db`` takes), several times faster for a model of many fields."""
        args = [
            values[name] if name in values else (default() if is_callable else default)
            for name, (is_callable, default) in zip(
                self.all_attnames, self.python_defaults, strict=True
            )
        ]
        if (
            not self.plain_init
            or pre_init.has_listeners(self.model)
            or post_init.has_listeners(self.model)
        ):
            return self.model(*args)
        # What ``Model.__init__`` does with these arguments, without a descriptor call per
        # field (two fifths of the cost of building a case).
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        obj.__dict__.update(zip(self.all_attnames, args, strict=True))
        return obj

    def row(self, values: dict[str, Any], now: Any, into: list[Any], database: Any = None) -> None:
        """The parameters of a row given as {attname: value} (no model instance): absent
        fields get their defaults, auto_now(_add) fields ``now`` (already adapted to the
        database), as the compiler would give them. ``database``: see ``_values``."""
        if database is None:
            database = connections[DEFAULT_DB_ALIAS]
        for (field, name, _read_as, built_in, plain), (fill, default) in zip(
            self.plan, self.fills, strict=True
        ):
            if name in values:
                value = values[name]
                if built_in and (
                    value is None
                    or type(value) is plain
                    or (plain is str and isinstance(value, str))
                ):
                    into.append(value)
                else:
                    into.append(field.get_db_prep_save(value, database))
            elif fill == "fixed":
                into.append(default)
            elif fill == "now":
                into.append(now)
            else:
                into.append(field.get_db_prep_save(default.get_default(), database))

    def rows(
        self,
        rows: Sequence[dict[str, Any]],
        *,
        now: datetime.datetime,
        cursor: Any,
        adapted: Any = None,
    ) -> None:
        """Insert rows given as {attname: value} in one statement (``adapted``: ``now`` as
        the database takes it, when the caller has it)."""
        if self._signalled():
            for values in rows:
                self.model(**values).save(force_insert=True)
            return
        size = self.batch_size
        with _using(cursor) as using:
            database = using.db
            if adapted is None:
                adapted = database.ops.adapt_datetimefield_value(now)
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                params: list[Any] = []
                for values in chunk:
                    self.row(values, adapted, params, database)
                execute_direct(using, self.statement(len(chunk)), params)

    def one(
        self,
        obj: Model,
        *,
        cursor: Any = None,
        now: datetime.datetime | None = None,
        adapted: Any = None,
    ) -> None:
        """Insert ``obj`` and set its primary key (``now``, ``adapted``: see ``_values``)."""
        if self._signalled():
            obj.save(force_insert=True)
            return
        params: list[Any] = []
        with _using(cursor) as using:
            self._values(obj, params, now, database=using.db, adapted=adapted)
            execute_direct(using, self.insert_one, params)
            obj.pk = using.fetchone()[0] if self.returning else using.lastrowid
        self._saved(obj)

    def many(self, objs: Sequence[Model], *, cursor: Any = None) -> None:
        """Insert ``objs`` in one statement (their keys are not read back)."""
        if self._signalled():
            for obj in objs:
                obj.save(force_insert=True)
            return
        params: list[Any] = []
        for obj in objs:
            self._values(obj, params)
            self._saved(obj)
        with _using(cursor) as using:
            execute_direct(using, self.statement(len(objs)), params)


def _using(cursor: Any) -> AbstractContextManager[Any]:
    """The intake's own cursor when it has one (a cursor per statement is a measurable share
    of an intake's time), else a fresh one."""
    return nullcontext(cursor) if cursor is not None else connection.cursor()


# A stand-in for the case number inside the notification text that the one-statement intake
# writes: the number is only known inside the statement (a private-use character, which no
# title or translation contains).
_NUMBER_MARK = "\ue000"


def _cast(field: models.Field[Any, Any]) -> str:
    """The type a parameter is cast to in the one-statement intake. Lengths are left off
    (casting to varchar(n) would cut a value short silently; assigning to the column checks)."""
    typed: Any = field  # cast_db_type is missing from the type stubs
    db_type = typed.cast_db_type(connection) or "text"
    return "text" if db_type.startswith("varchar") else db_type


# The tally rows a new case adds to: its village, and its township's channel, type,
# category and department (``stats.tally.contribution``; no reply time yet).
INTAKE_TALLY_ROWS = 5


class _OneStatement:
    """PostgreSQL: a case's whole intake (its number, the case, its reporter, its timeline,
    the notifications of those who must act) as ONE statement of data-modifying CTEs.

    Each statement a client sends waits a round trip for the server, and on PostgreSQL
    those waits were most of an intake's time. In one statement the intake is atomic by
    itself (outside a transaction it commits alone: no BEGIN, no COMMIT to send), the
    counter row is locked only for the rest of that statement, and with server-side binding
    the statement is prepared once per connection. What the Python side does before it (the
    validation, routing, deadlines, the values of every column) is exactly the path the
    other intakes take; only the writing differs.

    The household is checked inside it (no counter row is taken for a missing household, so
    nothing is written and no row comes back); a concurrent intake with the same idempotency
    key makes the case insert do nothing, and the caller answers with the other's case.
    """

    def __init__(self, inserts: dict[type[Model], _Insert]) -> None:
        quote = connection.ops.quote_name
        self.inserts = inserts
        case = inserts[Case]
        self.number_index = case.attnames.index("number")
        counter = quote(CaseNumberCounter._meta.db_table)
        household = Household._meta
        taken = (
            f"taken AS (INSERT INTO {counter} (county_code, day, last) "  # noqa: S608
            "SELECT %s, %s::date, 1 WHERE %s::bigint IS NULL OR EXISTS ("
            f"SELECT 1 FROM {quote(household.db_table)} WHERE {quote(household.pk.column)} "
            "= %s::bigint) "
            f"ON CONFLICT (county_code, day) DO UPDATE SET last = {counter}.last + 1 "
            "RETURNING last)"
        )
        number = (
            "%s || CASE WHEN taken.last > 99999 THEN taken.last::text "
            "ELSE lpad(taken.last::text, 5, '0') END"
        )
        selected = ", ".join(
            number if position == self.number_index else f"%s::{_cast(field)}"
            for position, field in enumerate(case.fields)
        )
        new_case = (
            f"new_case AS (INSERT INTO {quote(Case._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in case.fields)}) SELECT {selected} FROM taken "
            f"ON CONFLICT ({_column(Case, 'idempotency_key')}) DO NOTHING "
            f"RETURNING {quote(Case._meta.pk.column)}, {_column(Case, 'number')})"
        )
        self.head = f"WITH {taken}, {new_case}, "
        self.reporter = self._child("reporter", CaseReporter, inserts[CaseReporter])
        event_insert = inserts[CaseEvent]
        self.event_fields = [f for f in event_insert.fields if f.attname != "case_id"]
        self.event_row = "(" + ", ".join(f"%s::{_cast(f)}" for f in self.event_fields) + ")"
        self.event_columns = ", ".join(
            quote(f.column) for f in [event_insert.fields[0], *self.event_fields]
        )
        self.event_table = quote(CaseEvent._meta.db_table)
        notification, user = Notification._meta, User._meta
        columns = ", ".join(
            _column(Notification, name)
            for name in ("user", "case", "kind", "message", "created_at")
        )
        recipients = (
            f"notified AS (INSERT INTO {quote(notification.db_table)} ({columns}) "  # noqa: S608
            f"SELECT u.{quote(user.pk.column)}, new_case.{quote(Case._meta.pk.column)}, "
            "%s, left(replace(%s, %s, new_case.number), 300), %s::timestamptz "
            f"FROM new_case, {quote(user.db_table)} u "
            f"WHERE u.{_column(User, 'is_active')} AND u.{quote(user.pk.column)} <> %s::bigint "
            "AND "
        )
        role = f"u.{_column(User, 'role')}"
        self.notify = {
            False: f"{recipients}u.{_column(User, 'scope_code')} = %s AND {role} = %s)",
            True: f"{recipients}u.{_column(User, 'department')} = %s::bigint "
            f"AND {role} IN (%s, %s))",
        }
        # The new case's contribution to the tally (``stats.tally.intake_rows``): a row per
        # dimension, each adding 1 to received and the flag to accepted.
        tally_columns = ", ".join(
            _column(CaseTallyDelta, name)
            for name in ("month", "area", "dimension", "key", "received", "accepted")
        )
        self.tallied = (
            f"tallied AS (INSERT INTO {quote(CaseTallyDelta._meta.db_table)} "  # noqa: S608
            f"({tally_columns}) SELECT %s::date, t.area, t.dimension, t.key, 1, %s::bigint "
            f"FROM new_case, (VALUES {', '.join(['(%s, %s, %s)'] * INTAKE_TALLY_ROWS)}) "
            "AS t(area, dimension, key))"
        )
        key = quote(Case._meta.pk.column)
        self.tail = f" SELECT new_case.{key}, new_case.number FROM new_case"  # noqa: S608
        self._statements: dict[tuple[int, bool], str] = {}

    def _child(self, name: str, model: type[Model], insert: _Insert) -> str:
        """``name AS (INSERT INTO model (…) SELECT new_case.id, %s, … FROM new_case)``: a
        row of a table whose first column is the new case's key."""
        quote = connection.ops.quote_name
        assert insert.attnames[0] == "case_id"
        selected = ", ".join(f"%s::{_cast(f)}" for f in insert.fields[1:])
        return (
            f"{name} AS (INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in insert.fields)}) "
            f"SELECT new_case.{quote(Case._meta.pk.column)}, {selected} FROM new_case)"
        )

    def statement(self, events: int, to_department: bool) -> str:
        key = (events, to_department)
        sql = self._statements.get(key)
        if sql is None:
            rows = ", ".join([self.event_row] * events)
            timeline = (
                f"timeline AS (INSERT INTO {self.event_table} ({self.event_columns}) "  # noqa: S608
                f"SELECT new_case.{connection.ops.quote_name(Case._meta.pk.column)}, e.* "
                f"FROM new_case, (VALUES {rows}) AS e)"
            )
            sql = self._statements[key] = (
                f"{self.head}{self.reporter}, {timeline}, {self.tallied}, "
                f"{self.notify[to_department]}{self.tail}"
            )
        return sql

    def params(
        self,
        case: Case,
        day: datetime.date,
        reporter: dict[str, Any],
        events: list[dict[str, Any]],
        now: datetime.datetime,
    ) -> list[Any]:
        county = case.territory_code[:6]
        params: list[Any] = [county, day, case.household_id, case.household_id]
        # The connection and the time as it takes it, found once for all the rows.
        database = connections[DEFAULT_DB_ALIAS]
        adapted = database.ops.adapt_datetimefield_value(now)
        values: list[Any] = []
        self.inserts[Case]._values(case, values, now, database=database, adapted=adapted)
        values[self.number_index] = f"{county}-{day:%Y%m%d}-"
        params += values
        rows: list[Any] = []
        self.inserts[CaseReporter].row(reporter, adapted, rows, database)
        params += rows[1:]  # the case's key comes from the statement
        event_insert = self.inserts[CaseEvent]
        for event in events:
            row: list[Any] = []
            event_insert.row(event, adapted, row, database)
            params += row[1:]
        month, accepted, tallied = tally.intake_rows(case)
        if len(tallied) != INTAKE_TALLY_ROWS:
            raise ValueError(
                f"a new case adds to {len(tallied)} tally rows, not {INTAKE_TALLY_ROWS}"
            )
        params += [month, accepted]
        for row_key in tallied:
            params += row_key
        kind, message = _intake_message(case, number=_NUMBER_MARK)
        params += [kind.value, message, _NUMBER_MARK, now, case.created_by_id or 0]
        if case.status == CaseStatus.DISPATCHED:
            params += [case.lead_department_id, Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER]
        else:
            code = case.holder_code
            params += [code, Role.GRID_WORKER if len(code) == 15 else Role.CENTER_OPERATOR]
        return params


_statements: list[_IntakeSql] = []


def _sql() -> _IntakeSql:
    """The intake's statements for the process's database (built at first use: a process
    serves one database, and reading which one costs a lookup per call)."""
    if not _statements:
        _statements.append(_IntakeSql(connection.vendor))
    return _statements[0]


def _take_numbers(county_code: str, day: datetime.date, count: int, *, cursor: Any = None) -> int:
    """Reserve ``count`` sequence numbers of a county's day; returns the last of them.

    The counter row stays locked until the transaction ends (PostgreSQL's row lock; SQLite
    runs one write transaction at a time), so no number is given twice; an intake rolled
    back leaves a gap, as a torn-off ticket does."""
    if connection.features.can_return_columns_from_insert:
        with _using(cursor) as using:
            execute_direct(
                using,
                _sql().counter,
                [county_code, using.db.ops.adapt_datefield_value(day), count],
            )
            row = using.fetchone()
        return int(row[0])
    # An SQLite older than 3.35 has no RETURNING: lock, create if missing, move on, read.
    for _attempt in range(3):
        counter = (
            CaseNumberCounter.objects.select_for_update()
            .filter(county_code=county_code, day=day)
            .first()
        )
        if counter is None:
            try:
                with transaction.atomic():
                    counter = CaseNumberCounter.objects.create(county_code=county_code, day=day)
            except IntegrityError:
                continue  # another intake created today's counter first: lock theirs
        CaseNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + count)
        counter.refresh_from_db(fields=["last"])
        return counter.last
    raise RuntimeError("could not allocate a case number")


def _number(county_code: str, day: datetime.date, sequence: int) -> str:
    return f"{county_code}-{day:%Y%m%d}-{sequence:05d}"


def _next_number(county_code: str, day: datetime.date) -> str:
    """County code + date + sequence, e.g. 520524-20261128-00012, readable on the phone."""
    return _number(county_code, day, _take_numbers(county_code, day, 1))


# The fields a caller's input fills; ``_received`` validates exactly these. The others are
# set by the intake code itself (status, counters, times, the keys of objects in hand).
_INPUT_FIELDS = frozenset(
    {
        "case_type",
        "channel",
        "urgency",
        "title",
        "description",
        "territory_code",
        "address",
        "latitude",
        "longitude",
        "holder_code",
        "level",
        "idempotency_key",
    }
)
_not_input: list[str] = []


def _unchecked_fields() -> list[str]:
    if not _not_input:
        _not_input.extend(f.name for f in Case._meta.fields if f.name not in _INPUT_FIELDS)
    return _not_input


_CATEGORY_FIELD: Any = Case._meta.get_field("category")
_CREATOR_FIELD: Any = Case._meta.get_field("created_by")


def _received(item: CaseInput, *, actor: Any, now: datetime.datetime) -> tuple[Case, Route | None]:
    """The new case, validated and routed, not yet saved (no number yet)."""
    category = item.category
    if not category.is_active:
        raise ValidationError(
            _("The category “%(name)s” is no longer in use.") % {"name": category.name}
        )
    territory_code = item.territory_code
    holder = initial_holder(item.channel, territory_code)
    creator = actor if getattr(actor, "is_authenticated", False) else None
    case: Case = (
        _sql()
        .inserts[Case]
        .instance(  # type: ignore[assignment]
            {
                "idempotency_key": item.idempotency_key or None,
                "case_type": item.case_type,
                "category_id": category.pk,
                "channel": item.channel,
                "urgency": item.urgency,
                "title": item.title.strip(),
                "description": item.description.strip(),
                "territory_code": territory_code,
                "household_id": item.household_id,
                "address": item.address,
                "latitude": item.latitude,
                "longitude": item.longitude,
                "holder_code": holder,
                "level": level_of(holder),
                "created_by_id": creator.pk if creator is not None else None,
            }
        )
    )
    # The objects in hand, so that reading them from the case costs no query.
    _CATEGORY_FIELD.set_cached_value(case, category)
    if creator is not None:
        _CREATOR_FIELD.set_cached_value(case, creator)
    routed = route(category_id=category.pk, territory_code=territory_code)
    if routed is not None:
        case.suggested_department_id = routed.department_id
    # full_clean of what the caller gave (choices, lengths, blanks, coordinates), with the
    # same errors. Left out, because each would cost a query and cannot fail: the foreign
    # keys of objects in hand (category, actor) or from the routing table, the uniqueness of
    # a random uuid and of an idempotency key just looked up (the unique index still guards
    # a race). The household is checked by the callers with one probe (one per batch in
    # ``case_submit_many``).
    case.full_clean(exclude=_unchecked_fields(), validate_unique=False)
    return case, routed


def _household_error(case: Case) -> ValidationError:
    """The error ``full_clean`` gives for a household that does not exist."""
    try:
        Case._meta.get_field("household").validate(case.household_id, case)
    except ValidationError as error:
        return ValidationError({"household": error.error_list})
    return ValidationError({"household": [_("The household does not exist.")]})


def _handle_directly(case: Case, department_id: int, now: datetime.datetime) -> None:
    """What ``_accept`` then ``_dispatch`` do to a case, done before it is first written:
    it is new, so there is nothing to lock and nothing co-handled yet."""
    policy = policy_for(case.case_type, case.level)
    case.status = CaseStatus.DISPATCHED
    case.accepted_at = now
    _start_reply_clock(case, now, policy.reply_days)
    case.lead_department_id = department_id
    case.dispatched_at = now
    case.sign_due_at = due_after(now, policy.sign_days)
    # Received, accepted, dispatched: the version a case has after those three saves.
    case.version = 3


def _intake_events(case: Case, routed: Route | None, *, actor: Any) -> list[dict[str, Any]]:
    """The timeline of a new case, as rows: submitted, and if handled directly accepted and
    dispatched by the system, in that order."""
    submitted = {
        "case_id": case.pk,
        "kind": EventKind.SUBMIT.value,
        "actor_id": actor.pk if getattr(actor, "is_authenticated", False) else None,
        "actor_body": _body(actor, case),
        "to_status": CaseStatus.SUBMITTED.value,
        "data": {"channel": case.channel, "holder": case.holder_code},
    }
    if routed is None or not routed.handle_directly:
        return [submitted]
    system = _body(None, case)
    return [
        submitted,
        {
            "case_id": case.pk,
            "kind": EventKind.ACCEPT.value,
            "actor_body": system,
            "from_status": CaseStatus.SUBMITTED.value,
            "to_status": CaseStatus.ACCEPTED.value,
        },
        {
            "case_id": case.pk,
            "kind": EventKind.DISPATCH.value,
            "actor_body": system,
            "department_id": routed.department_id,
            "from_status": CaseStatus.ACCEPTED.value,
            "to_status": CaseStatus.DISPATCHED.value,
            "note": _("Handled directly by the responsible department (routing rule)."),
            "data": {"co": []},
        },
    ]


def _intake_message(case: Case, number: str | None = None) -> tuple[EventKind, str]:
    """The notification a new case sends: to the department that took it directly, or to
    the operators of the center whose queue it waits in."""
    values = {"number": case.number if number is None else number, "title": case.title}
    if case.status == CaseStatus.DISPATCHED:
        return EventKind.DISPATCH, _("Case %(number)s dispatched to you: %(title)s") % values
    return EventKind.SUBMIT, _("New case %(number)s: %(title)s") % values


def _notify_on_intake(case: Case, *, cursor: Any = None) -> None:
    """``_notify`` of the center operators (or the department staff) of a new case, as one
    INSERT … SELECT: the recipients are read and the rows written by one statement."""
    kind, message = _intake_message(case)
    whom: list[Any]
    if case.status == CaseStatus.DISPATCHED:
        sql = _sql().notify_department
        whom = [case.lead_department_id, Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER]
    else:
        sql = _sql().notify_center
        code = case.holder_code
        whom = [code, Role.GRID_WORKER if len(code) == 15 else Role.CENTER_OPERATOR]
    with _using(cursor) as using:
        created_at = using.db.ops.adapt_datetimefield_value(timezone.now())
        author = case.created_by_id or 0  # not told of their own case
        execute_direct(using, sql, [case.pk, kind, message[:300], created_at, author, *whom])


def case_submit(
    *,
    case_type: CaseType,
    category: Category,
    channel: Channel,
    title: str,
    description: str,
    territory_code: str,
    reporter: ReporterInput | None = None,
    household_id: int | None = None,
    address: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    urgency: Urgency = Urgency.NORMAL,
    idempotency_key: str | None = None,
    actor: Any = None,
) -> tuple[Case, bool]:
    """Receive a case; routed at once. Returns (case, created): the same idempotency key
    gives back the case it created the first time."""
    item = CaseInput(
        case_type=case_type,
        category=category,
        channel=channel,
        title=title,
        description=description,
        territory_code=territory_code,
        reporter=reporter,
        household_id=household_id,
        address=address,
        latitude=latitude,
        longitude=longitude,
        urgency=urgency,
        idempotency_key=idempotency_key,
    )
    one_statement = _sql().one_statement
    if one_statement is not None and not _signalled_intake():
        return _submit_in_one_statement(item, actor=actor, statement=one_statement)
    return _submit_atomically(item, actor=actor)


def _signalled_intake() -> bool:
    """A save signal on a model the intake writes: it must go through ``save()``."""
    return any(insert._signalled() for insert in _sql().inserts.values())


@transaction.atomic
def _submit_atomically(item: CaseInput, *, actor: Any) -> tuple[Case, bool]:
    with connection.cursor() as cursor:  # one cursor for all the intake's statements
        return _submit(item, actor=actor, cursor=cursor)


def _submit_in_one_statement(
    item: CaseInput, *, actor: Any, statement: _OneStatement
) -> tuple[Case, bool]:
    """``_submit`` on PostgreSQL: the same steps, written by one statement (see
    ``_OneStatement``). Outside a transaction it commits by itself."""
    key = item.idempotency_key
    if key:
        existing = _case_with_key(key)
        if existing is not None:
            return existing, False
    now = timezone.now()
    case, routed = _received(item, actor=actor, now=now)
    if routed is not None and routed.handle_directly:
        _handle_directly(case, routed.department_id, now)
    day = timezone.localdate(now)
    events = _intake_events(case, routed, actor=actor)
    reporter = _reporter_row(case, item.reporter or ReporterInput(), item.household_id)
    params = statement.params(case, day, reporter, events, now)
    sql = statement.statement(len(events), case.status == CaseStatus.DISPATCHED)
    row = execute_prepared(sql, params)
    if row is None:
        # Nothing was written: the household does not exist, or a concurrent intake with the
        # same key won the race.
        existing = _case_with_key(key) if key else None
        if existing is not None:
            return existing, False
        raise _household_error(case)
    case.pk, case.number = row
    case._state.adding = False
    case._state.db = DEFAULT_DB_ALIAS
    return case, True


def _submit(item: CaseInput, *, actor: Any, cursor: Any) -> tuple[Case, bool]:
    key = item.idempotency_key
    if key:
        existing = _case_with_key(key, cursor=cursor)
        if existing is not None:
            return existing, False
    now = timezone.now()
    case, routed = _received(item, actor=actor, now=now)
    if item.household_id is not None and not _household_exists(item.household_id, cursor=cursor):
        raise _household_error(case)
    if routed is not None and routed.handle_directly:
        # Within the department's own remit: it takes the case at once (the police station
        # answering a household-registration question), no triage at the center.
        _handle_directly(case, routed.department_id, now)
    # The number is taken last, just before the insert, so the counter's lock is held for as
    # short a time as possible and an invalid case does not use up a number.
    county, day = case.territory_code[:6], timezone.localdate(now)
    case.number = _number(county, day, _take_numbers(county, day, 1, cursor=cursor))
    statements = _sql()
    # The case, its reporter and its events are all created at ``now``: adapted once for the
    # three rows.
    adapted = cursor.db.ops.adapt_datetimefield_value(now)
    if key:
        try:
            with transaction.atomic():
                statements.inserts[Case].one(case, cursor=cursor, now=now, adapted=adapted)
        except IntegrityError:
            existing = _case_with_key(key, cursor=cursor)
            if existing is not None:
                # A concurrent request with the same key won the race: answer with its case.
                return existing, False
            raise
    else:
        # Without a key no conflict is expected (number and uuid are unique by making), so
        # no savepoint: an error rolls back the whole intake.
        statements.inserts[Case].one(case, cursor=cursor, now=now, adapted=adapted)
    statements.inserts[CaseReporter].rows(
        [_reporter_row(case, item.reporter or ReporterInput(), item.household_id)],
        now=now,
        cursor=cursor,
        adapted=adapted,
    )
    statements.inserts[CaseEvent].rows(
        _intake_events(case, routed, actor=actor), now=now, cursor=cursor, adapted=adapted
    )
    _notify_on_intake(case, cursor=cursor)
    tally.record_new([case], cursor=cursor)
    return case, True


def _household_exists(household_id: int, *, cursor: Any = None) -> bool:
    with _using(cursor) as using:
        execute_direct(using, _sql().household_exists, [household_id])
        return using.fetchone() is not None


def _case_with_key(idempotency_key: str, *, cursor: Any = None) -> Case | None:
    """The case an idempotency key created, if any: a cheap probe of the unique index first,
    since almost every key is new. Outside the intake's cursor on PostgreSQL (the
    one-statement intake) it is prepared on the server as the intake's statement is."""
    sql = _sql().case_by_key
    if cursor is None and _sql().one_statement is not None:
        row = execute_prepared(sql, [idempotency_key])
    else:
        with _using(cursor) as using:
            execute_direct(using, sql, [idempotency_key])
            row = using.fetchone()
    return None if row is None else Case.objects.get(pk=row[0])


@transaction.atomic
def case_submit_many(*, items: Sequence[CaseInput], actor: Any = None) -> list[tuple[Case, bool]]:
    """Receive a batch (a provincial platform's push) in one transaction. Each item is
    received exactly as ``case_submit`` would receive it — the same validation, routing,
    deadlines, numbers, timeline and notifications — with a few statements for the whole
    batch. Returns (case, created) per item, in order: an item whose idempotency key is
    already known, or repeats an earlier item's, answers with that case.

    One invalid item refuses the whole batch (``BatchItemError`` names it), so a platform can
    fix it and push the batch again; the items that were fine are then received, those
    already received answer with their cases."""
    keys = {item.idempotency_key for item in items if item.idempotency_key}
    known: dict[str | None, Case] = (
        {case.idempotency_key: case for case in Case.objects.filter(idempotency_key__in=keys)}
        if keys
        else {}
    )
    now = timezone.now()
    day = timezone.localdate(now)
    answers: list[tuple[Case, bool]] = []
    fresh: list[tuple[int, Case, Route | None, CaseInput]] = []
    for position, item in enumerate(items):
        key = item.idempotency_key
        if key and key in known:
            answers.append((known[key], False))
            continue
        try:
            case, routed = _received(item, actor=actor, now=now)
        except ValidationError as error:
            raise BatchItemError(position, error) from error
        if routed is not None and routed.handle_directly:
            _handle_directly(case, routed.department_id, now)
        if key:
            known[key] = case
        fresh.append((position, case, routed, item))
        answers.append((case, True))
    if not fresh:
        return answers
    created = [case for _p, case, _r, _i in fresh]
    household_ids = {case.household_id for case in created if case.household_id}
    if household_ids:
        found = set(Household.objects.filter(pk__in=household_ids).values_list("pk", flat=True))
        for position, case, _routed, _item in fresh:
            if case.household_id and case.household_id not in found:
                raise BatchItemError(position, _household_error(case))
    # Numbers: one counter statement per county, in the order of the items.
    counties: dict[str, list[Case]] = {}
    for case in created:
        counties.setdefault(case.territory_code[:6], []).append(case)
    for county_code, cases in counties.items():
        last = _take_numbers(county_code, day, len(cases))
        for offset, case in enumerate(cases):
            case.number = _number(county_code, day, last - len(cases) + 1 + offset)
    if connection.features.can_return_rows_from_bulk_insert:
        Case.objects.bulk_create(created)
    else:
        for case in created:  # an old SQLite: no ids come back from a multi-row insert
            case.save(force_insert=True)
    statements = _sql()
    statements.inserts[CaseReporter].rows(
        [
            _reporter_row(case, item.reporter or ReporterInput(), item.household_id)
            for _p, case, _routed, item in fresh
        ],
        now=now,
        cursor=None,
    )
    statements.inserts[CaseEvent].rows(
        [
            event
            for _p, case, routed, _i in fresh
            for event in _intake_events(case, routed, actor=actor)
        ],
        now=now,
        cursor=None,
    )
    _notify_batch(created)
    tally.record_new(created)
    return answers


def _notify_batch(cases: list[Case]) -> None:
    """``_notify_on_intake`` for many cases: the recipients of all of them read at once."""
    holders = {case.holder_code for case in cases if case.status != CaseStatus.DISPATCHED}
    departments = {
        case.lead_department_id for case in cases if case.status == CaseStatus.DISPATCHED
    }
    recipients: dict[tuple[str, Any], list[int]] = {}
    if holders:
        grids = [code for code in holders if len(code) == 15]
        centers = [code for code in holders if len(code) != 15]
        for pk, code in User.objects.filter(
            Q(role=Role.GRID_WORKER, scope_code__in=grids)
            | Q(role=Role.CENTER_OPERATOR, scope_code__in=centers),
            is_active=True,
        ).values_list("pk", "scope_code"):
            recipients.setdefault(("center", code), []).append(pk)
    if departments:
        for pk, department_id in User.objects.filter(
            department_id__in=departments,
            role__in=[Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER],
            is_active=True,
        ).values_list("pk", "department_id"):
            recipients.setdefault(("department", department_id), []).append(pk)
    rows = []
    for case in cases:
        kind, message = _intake_message(case)
        whom = (
            ("department", case.lead_department_id)
            if case.status == CaseStatus.DISPATCHED
            else ("center", case.holder_code)
        )
        rows += [
            Notification(user_id=pk, case=case, kind=kind, message=message[:300])
            for pk in recipients.get(whom, [])
            if pk != case.created_by_id  # not told of their own case
        ]
    Notification.objects.bulk_create(rows)


def _reporter_row(case: Case, reporter: ReporterInput, household_id: int | None) -> dict[str, Any]:
    """The reporter of a new case, as a row (see ``_Insert.rows``)."""
    row: dict[str, Any] = {
        "case_id": case.pk,
        "kind": ReporterKind(reporter.kind).value,
        "name": reporter.name if reporter.kind != ReporterKind.ANONYMOUS else "",
        "household_id": reporter.household_id or household_id,
        "person_id": reporter.person_id,
    }
    if reporter.phone:
        row["phone"] = reporter.phone
        row["phone_digest"] = lookup_digest(reporter.phone, "phone")
    return row


def _accept(case: Case, *, actor: Any, now: datetime.datetime) -> None:
    before = case.status
    case.status = CaseStatus.ACCEPTED
    case.accepted_at = now
    _start_reply_clock(case, now, policy_for(case.case_type, case.level).reply_days)
    _save(
        case,
        "status",
        "accepted_at",
        "reply_due_at",
        "warn_at",
        "yellow_raised_at",
        "red_raised_at",
    )
    _event(case, EventKind.ACCEPT, actor=actor, from_status=before)


@transaction.atomic
def case_accept(*, case: Case, actor: Any, version: int | None = None) -> Case:
    case = _locked(case, version)
    _require(is_center_holder(actor, case), _("Only the center holding the case can accept it."))
    if case.status != CaseStatus.SUBMITTED:
        raise _refuse(case, _("accept"))
    _accept(case, actor=actor, now=timezone.now())
    return case


@transaction.atomic
def case_reject(*, case: Case, actor: Any, reason: str, version: int | None = None) -> Case:
    case = _locked(case, version)
    _require(is_center_holder(actor, case), _("Only the center holding the case can reject it."))
    if case.status != CaseStatus.SUBMITTED:
        raise _refuse(case, _("reject"))
    reason = _require_note(reason, _("the reason for not accepting the case"))
    before = case.status
    case.status = CaseStatus.REJECTED
    case.closed_at = timezone.now()
    _save(case, "status", "closed_at")
    _event(case, EventKind.REJECT, actor=actor, from_status=before, note=reason)
    return case


# ---------------------------------------------------------------------------------------
# The grid and the centers: resolve on the spot, escalate, dispatch


@transaction.atomic
def case_resolve_on_spot(
    *, case: Case, actor: Any, what_was_done: str, version: int | None = None
) -> Case:
    """就地办结: a grid worker settles it in the grid; the resident still rates it."""
    case = _locked(case, version)
    _require(
        actor.role == Role.GRID_WORKER and is_within(case.territory_code, actor.scope_code),
        _("Only a grid worker of the case's grid can resolve it on the spot."),
    )
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED) or case.level not in (
        "grid",
        "village",
    ):
        raise _refuse(case, _("resolve on the spot"))
    what = _require_note(what_was_done, _("what was done"))
    now = timezone.now()
    before = case.status
    case.status = CaseStatus.REPLIED
    case.resolved_on_spot = True
    case.reply_text = what
    case.reply_approved = True
    case.replied_at = now
    case.accepted_at = case.accepted_at or now
    case.warn_at = None
    case.rating_due_at = due_after(now, policy_for(case.case_type, case.level).rating_wait_days)
    _save(
        case,
        "status",
        "resolved_on_spot",
        "reply_text",
        "reply_approved",
        "replied_at",
        "accepted_at",
        "warn_at",
        "rating_due_at",
    )
    _event(case, EventKind.RESOLVE_ON_SPOT, actor=actor, from_status=before, note=what)
    return case


def _parent_holder(code: str) -> str | None:
    lengths = list(HOLDER_CODE_LENGTHS)
    index = lengths.index(len(code))
    return code[: lengths[index + 1]] if index + 1 < len(lengths) else None


@transaction.atomic
def case_escalate(*, case: Case, actor: Any, reason: str, version: int | None = None) -> Case:
    """上报: one level up (grid → village → township → county center)."""
    case = _locked(case, version)
    _require(is_holder(actor, case), _("Only the holder of the case can escalate it."))
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED):
        raise _refuse(case, _("escalate"))
    parent = _parent_holder(case.holder_code)
    if parent is None:
        raise TransitionError(_("The county center is the top level: there is no one above."))
    reason = _require_note(reason, _("the reason for escalating"))
    before_holder = case.holder_code
    case.holder_code = parent
    case.level = level_of(parent)
    _save(case, "holder_code", "level")
    _event(
        case,
        EventKind.ESCALATE,
        actor=actor,
        from_status=case.status,
        note=reason,
        data={"from": before_holder, "to": parent},
    )
    _notify(
        _center_operators(parent),
        case,
        EventKind.ESCALATE,
        _("Case %(number)s escalated to you: %(reason)s")
        % {"number": case.number, "reason": reason},
    )
    return case


def _dispatch(
    case: Case,
    *,
    actor: Any,
    lead: Department,
    co: list[Department],
    now: datetime.datetime,
    note: str = "",
) -> None:
    before = case.status
    case.status = CaseStatus.DISPATCHED
    case.lead_department = lead
    case.dispatched_at = now
    case.sign_due_at = due_after(now, policy_for(case.case_type, case.level).sign_days)
    _save(case, "status", "lead_department", "dispatched_at", "sign_due_at")
    case.co_departments.set(co)
    _event(
        case,
        EventKind.DISPATCH,
        actor=actor,
        from_status=before,
        department=lead,
        note=note,
        data={"co": [d.pk for d in co]},
    )
    recipients = _department_staff(lead.pk) + [u for d in co for u in _department_staff(d.pk)]
    _notify(
        recipients,
        case,
        EventKind.DISPATCH,
        _("Case %(number)s dispatched to you: %(title)s")
        % {"number": case.number, "title": case.title},
    )


@transaction.atomic
def case_dispatch(
    *,
    case: Case,
    actor: Any,
    department: Department,
    co_departments: list[Department] | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """派单: to a lead department plus co-handlers (中心吹哨、部门报到)."""
    case = _locked(case, version)
    _require(is_center_holder(actor, case), _("Only the center holding the case can dispatch it."))
    if case.status != CaseStatus.ACCEPTED:
        raise _refuse(case, _("dispatch"))
    co = [d for d in (co_departments or []) if d.pk != department.pk]
    if not department.is_active or any(not d.is_active for d in co):
        raise ValidationError(_("A chosen department is no longer active."))
    _dispatch(case, actor=actor, lead=department, co=co, now=timezone.now(), note=note.strip())
    return case


# ---------------------------------------------------------------------------------------
# The department: sign for, return, hard matter, extension, reply


@transaction.atomic
def case_sign(*, case: Case, actor: Any, version: int | None = None) -> Case:
    """签收/接单: the lead department reports in."""
    case = _locked(case, version)
    _require(
        is_lead_department_staff(actor, case),
        _("Only the department the case was sent to can sign for it."),
    )
    if case.status != CaseStatus.DISPATCHED:
        raise _refuse(case, _("sign for"))
    before = case.status
    case.status = CaseStatus.IN_PROGRESS
    case.signed_at = timezone.now()
    _save(case, "status", "signed_at")
    _event(case, EventKind.SIGN, actor=actor, from_status=before, department=actor.department)
    return case


@transaction.atomic
def case_return(*, case: Case, actor: Any, reason: str, version: int | None = None) -> Case:
    """退单: not ours — back to the dispatching center's queue, with the reason; counted."""
    case = _locked(case, version)
    _require(
        is_lead_department_staff(actor, case),
        _("Only the department the case was sent to can return it."),
    )
    if case.status not in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS):
        raise _refuse(case, _("return"))
    reason = _require_note(reason, _("the reason why the case is not yours"))
    before, department, returning = case.status, case.lead_department, case.lead_department_id
    case.status = CaseStatus.ACCEPTED
    case.lead_department = None
    case.sign_due_at = None
    case.signed_at = None
    case.return_count += 1
    changed = ["status", "lead_department", "sign_due_at", "signed_at", "return_count"]
    if case.suggested_department_id == returning:
        # The routing rule's department says it is not theirs: offering it again as the
        # suggestion would send the case straight back (the rule may need a look).
        case.suggested_department = None
        changed.append("suggested_department")
    _save(case, *changed)
    case.co_departments.clear()
    _event(
        case, EventKind.RETURN, actor=actor, from_status=before, department=department, note=reason
    )
    _notify(
        _center_operators(case.holder_code),
        case,
        EventKind.RETURN,
        _("Case %(number)s returned by %(department)s: %(reason)s")
        % {"number": case.number, "department": department, "reason": reason},
    )
    return case


def _request(
    case: Case, *, actor: Any, kind: RequestKind, reason: str, days: int | None
) -> CaseRequest:
    if case.requests.filter(kind=kind, status=RequestStatus.PENDING).exists():
        raise ValidationError(_("A request of this kind is already waiting for a decision."))
    request = CaseRequest.objects.create(
        case=case,
        kind=kind,
        reason=reason,
        days=days,
        department=actor.department,
        requested_by=actor,
    )
    _notify(
        _department_staff(actor.department_id, leaders_only=True),
        case,
        EventKind.HARD_REQUEST if kind == RequestKind.HARD else EventKind.EXTENSION_REQUEST,
        _("Case %(number)s: approval requested") % {"number": case.number},
    )
    return request


@transaction.atomic
def case_request_hard(
    *, case: Case, actor: Any, reason: str, version: int | None = None
) -> CaseRequest:
    """疑难: the department asks; a leader decides."""
    case = _locked(case, version)
    _require(
        is_lead_department_staff(actor, case),
        _("Only the department handling the case can ask for hard-matter status."),
    )
    if case.status != CaseStatus.IN_PROGRESS or case.is_hard:
        raise _refuse(case, _("mark as hard"))
    reason = _require_note(reason, _("why the matter is hard"))
    request = _request(case, actor=actor, kind=RequestKind.HARD, reason=reason, days=None)
    _save(case)
    _event(
        case,
        EventKind.HARD_REQUEST,
        actor=actor,
        from_status=case.status,
        note=reason,
        department=actor.department,
        data={"request": request.pk},
    )
    return request


@transaction.atomic
def case_request_extension(
    *, case: Case, actor: Any, days: int, reason: str, version: int | None = None
) -> CaseRequest:
    """延期: at most the policy's cap (30 days) in total over the life of the case."""
    case = _locked(case, version)
    _require(
        is_lead_department_staff(actor, case),
        _("Only the department handling the case can ask for an extension."),
    )
    if case.status != CaseStatus.IN_PROGRESS:
        raise _refuse(case, _("extend"))
    cap = policy_for(case.case_type, case.level).extension_cap_days
    if days < 1 or case.extension_days + days > cap:
        raise ValidationError(
            _(
                "An extension can be 1 to %(left)d days: the total is capped at %(cap)d days "
                "and %(used)d are used."
            )
            % {"left": max(cap - case.extension_days, 0), "cap": cap, "used": case.extension_days}
        )
    reason = _require_note(reason, _("the reason for the extension"))
    request = _request(case, actor=actor, kind=RequestKind.EXTENSION, reason=reason, days=days)
    _save(case)
    _event(
        case,
        EventKind.EXTENSION_REQUEST,
        actor=actor,
        from_status=case.status,
        note=reason,
        department=actor.department,
        data={"request": request.pk, "days": days},
    )
    return request


@transaction.atomic
def case_decide_request(
    *, request: CaseRequest, actor: Any, approve: bool, note: str = ""
) -> CaseRequest:
    """A department leader approves or denies a hard-matter or extension request."""
    request = CaseRequest.objects.select_for_update().get(pk=request.pk)
    case = _locked(request.case)
    _require(
        is_lead_department_leader(actor, case) or is_administrator(actor),
        _("Only a leader of the handling department can decide this request."),
    )
    if request.status != RequestStatus.PENDING:
        raise TransitionError(_("This request has already been decided."))
    if case.status != CaseStatus.IN_PROGRESS:
        raise _refuse(case, _("decide a request on"))
    if not approve:
        _require_note(note, _("the reason for denying the request"))
    now = timezone.now()
    request.status = RequestStatus.APPROVED if approve else RequestStatus.DENIED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    data: dict[str, Any] = {"request": request.pk, "approved": approve}
    if approve and request.kind == RequestKind.HARD:
        case.is_hard = True
        policy = policy_for(case.case_type, case.level)
        _start_reply_clock(case, now, policy.hard_reply_days)
        _save(case, "is_hard", "reply_due_at", "warn_at", "yellow_raised_at", "red_raised_at")
    elif approve and request.kind == RequestKind.EXTENSION:
        cap = policy_for(case.case_type, case.level).extension_cap_days
        days = int(request.days or 0)
        if case.extension_days + days > cap:
            raise ValidationError(
                _("Approving would exceed the %(cap)d-day extension cap.") % {"cap": cap}
            )
        case.extension_days += days
        base = case.reply_due_at or now
        case.reply_due_at = base + datetime.timedelta(days=days)
        case.warn_at = warn_time(case.reply_due_at, policy_for(case.case_type, case.level))
        case.yellow_raised_at = None
        case.red_raised_at = None
        _save(
            case, "extension_days", "reply_due_at", "warn_at", "yellow_raised_at", "red_raised_at"
        )
        data["days"] = days
    else:
        _save(case)
    if case.reply_due_at:
        data["reply_due_at"] = case.reply_due_at.isoformat()
    kind = (
        EventKind.HARD_DECISION
        if request.kind == RequestKind.HARD
        else EventKind.EXTENSION_DECISION
    )
    _event(
        case,
        kind,
        actor=actor,
        from_status=case.status,
        note=note.strip(),
        department=case.lead_department,
        data=data,
    )
    _notify(
        [request.requested_by],
        case,
        kind,
        (
            _("Approved: %(what)s for case %(number)s")
            if approve
            else _("Denied: %(what)s for case %(number)s")
        )
        % {"what": request.get_kind_display(), "number": case.number},
    )
    return request


@transaction.atomic
def case_reply(*, case: Case, actor: Any, text: str, version: int | None = None) -> Case:
    """答复: the department's answer, which the center reviews before the resident sees it."""
    case = _locked(case, version)
    _require(
        is_lead_department_staff(actor, case), _("Only the department handling the case can reply.")
    )
    if case.status != CaseStatus.IN_PROGRESS:
        raise _refuse(case, _("reply to"))
    text = _require_note(text, _("the reply"))
    before = case.status
    case.status = CaseStatus.REPLIED
    case.reply_text = text
    case.reply_approved = False
    case.replied_at = timezone.now()
    case.warn_at = None
    _save(case, "status", "reply_text", "reply_approved", "replied_at", "warn_at")
    _event(
        case,
        EventKind.REPLY,
        actor=actor,
        from_status=before,
        note=text,
        department=actor.department,
    )
    _notify(
        _center_operators(case.holder_code),
        case,
        EventKind.REPLY,
        _("Case %(number)s replied: please review") % {"number": case.number},
    )
    return case


# ---------------------------------------------------------------------------------------
# The center again: supervise, review; the resident: rate; and what follows


@transaction.atomic
def case_supervise(
    *, case: Case, actor: Any, message: str, version: int | None = None
) -> SupervisionNotice:
    """督办 by a center: a notice to the handling department."""
    case = _locked(case, version)
    _require(is_supervisor(actor, case), _("Only a center above the case can supervise it."))
    if case.status not in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS):
        raise _refuse(case, _("supervise"))
    message = _require_note(message, _("the supervision message"))
    return _supervise(case, actor=actor, message=message, automatic=False)


def _supervise(case: Case, *, actor: Any, message: str, automatic: bool) -> SupervisionNotice:
    notice = SupervisionNotice.objects.create(
        case=case,
        automatic=automatic,
        department=case.lead_department,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        message=message,
    )
    _save(case)
    _event(
        case,
        EventKind.SUPERVISE,
        actor=actor,
        from_status=case.status,
        note=message,
        department=case.lead_department,
        data={"automatic": automatic, "notice": notice.pk},
    )
    _notify(
        _department_staff(case.lead_department_id),
        case,
        EventKind.SUPERVISE,
        _("Supervision notice on case %(number)s: %(message)s")
        % {"number": case.number, "message": message},
    )
    return notice


@transaction.atomic
def case_review_reply(
    *, case: Case, actor: Any, approve: bool, note: str = "", version: int | None = None
) -> Case:
    """The center checks the reply: releases it to the resident, or sends it back."""
    case = _locked(case, version)
    _require(is_holder(actor, case), _("Only the center holding the case reviews its reply."))
    if case.status != CaseStatus.REPLIED or case.reply_approved:
        raise _refuse(case, _("review the reply of"))
    before = case.status
    now = timezone.now()
    if approve:
        case.reply_approved = True
        case.rating_due_at = due_after(now, policy_for(case.case_type, case.level).rating_wait_days)
        _save(case, "reply_approved", "rating_due_at")
        _event(case, EventKind.REVIEW_APPROVE, actor=actor, from_status=before, note=note)
    else:
        note = _require_note(note, _("what is missing from the reply"))
        case.status = CaseStatus.IN_PROGRESS
        case.warn_at = (
            warn_time(case.reply_due_at, policy_for(case.case_type, case.level))
            if case.reply_due_at
            else None
        )
        _save(case, "status", "warn_at")
        _event(
            case,
            EventKind.REVIEW_SEND_BACK,
            actor=actor,
            from_status=before,
            note=note,
            department=case.lead_department,
        )
        _notify(
            _department_staff(case.lead_department_id),
            case,
            EventKind.REVIEW_SEND_BACK,
            _("Reply to case %(number)s sent back: %(note)s")
            % {"number": case.number, "note": note},
        )
    return case


def _close(case: Case, *, actor: Any, note: str = "") -> None:
    before = case.status
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    _save(case, "status", "closed_at")
    _event(case, EventKind.CLOSE, actor=actor, from_status=before, note=note)


def _reopen(case: Case, *, actor: Any, note: str) -> None:
    """重办: back to the same department with a fresh reply deadline; counted."""
    before = case.status
    now = timezone.now()
    case.reopen_count += 1
    case.reply_approved = False
    case.rating_due_at = None
    case.return_visit_requested_at = None
    if case.lead_department_id is None:
        case.status = CaseStatus.ACCEPTED
    else:
        case.status = CaseStatus.DISPATCHED
        case.dispatched_at = now
        case.sign_due_at = due_after(now, policy_for(case.case_type, case.level).sign_days)
        case.signed_at = None
    _start_reply_clock(case, now, policy_for(case.case_type, case.level).reply_days)
    _save(
        case,
        "reopen_count",
        "reply_approved",
        "rating_due_at",
        "return_visit_requested_at",
        "status",
        "dispatched_at",
        "sign_due_at",
        "signed_at",
        "reply_due_at",
        "warn_at",
        "yellow_raised_at",
        "red_raised_at",
    )
    _event(
        case,
        EventKind.REOPEN,
        actor=actor,
        from_status=before,
        note=note,
        department=case.lead_department,
    )
    _notify(
        _department_staff(case.lead_department_id) or _center_operators(case.holder_code),
        case,
        EventKind.REOPEN,
        _("Case %(number)s reopened: the resident was not satisfied") % {"number": case.number},
    )


def _settle_rating(
    case: Case, *, actor: Any, rating: Rating, comment: str, kind: EventKind
) -> None:
    case.rating = rating
    case.rating_comment = comment.strip()
    if kind == EventKind.RETURN_VISIT:
        case.return_visit_count += 1
    _save(case, "rating", "rating_comment", "return_visit_count")
    _event(
        case,
        kind,
        actor=actor,
        from_status=case.status,
        note=comment.strip(),
        data={"rating": rating},
    )
    if rating == Rating.UNSATISFIED:
        _reopen(case, actor=actor, note=comment.strip())
    else:
        _close(case, actor=actor)


@transaction.atomic
def case_rate(*, case: Case, rating: Rating, comment: str = "", actor: Any = None) -> Case:
    """评价 by the resident (no account: ``actor`` None) once the reply is released.
    Unsatisfied reopens the case (重办)."""
    case = _locked(case)
    if case.status != CaseStatus.REPLIED or not case.reply_approved:
        raise _refuse(case, _("rate"))
    _settle_rating(case, actor=actor, rating=Rating(rating), comment=comment, kind=EventKind.RATE)
    return case


@transaction.atomic
def case_return_visit(
    *, case: Case, actor: Any, rating: Rating, note: str, version: int | None = None
) -> Case:
    """回访: the center calls the resident when no rating came in time, and records it."""
    case = _locked(case, version)
    _require(is_supervisor(actor, case), _("Only a center can record a return visit."))
    if case.status != CaseStatus.REPLIED or not case.reply_approved:
        raise _refuse(case, _("record a return visit on"))
    note = _require_note(note, _("what the resident said"))
    _settle_rating(
        case, actor=actor, rating=Rating(rating), comment=note, kind=EventKind.RETURN_VISIT
    )
    return case


@transaction.atomic
def case_merge(*, duplicate: Case, into: Case, actor: Any) -> Case:
    """合并: the duplicate closes; its reporters follow the surviving case."""
    if duplicate.pk == into.pk:
        raise ValidationError(_("A case cannot be merged into itself."))
    # Lock both rows in id order so two merges of the same pair cannot deadlock.
    first, second = sorted([duplicate, into], key=lambda c: c.pk)
    locked = {c.pk: _locked(c) for c in (first, second)}
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    _require(
        is_supervisor(actor, duplicate) and is_supervisor(actor, into),
        _("Only a center over both cases can merge them."),
    )
    for case in (duplicate, into):
        if not case.is_open:
            raise _refuse(case, _("merge"))
    before = duplicate.status
    moved = CaseReporter.objects.filter(case=duplicate).update(case=into)
    duplicate.status = CaseStatus.CLOSED
    duplicate.merged_into = into
    duplicate.closed_at = timezone.now()
    duplicate.warn_at = None
    _save(duplicate, "status", "merged_into", "closed_at", "warn_at")
    _event(
        duplicate,
        EventKind.MERGED_INTO,
        actor=actor,
        from_status=before,
        data={"into": into.number},
    )
    _save(into)
    _event(
        into,
        EventKind.MERGE,
        actor=actor,
        from_status=into.status,
        data={"duplicate": duplicate.number, "reporters": moved},
    )
    # A department working on the duplicate stops there: tell it where the matter goes on.
    _notify(
        _department_staff(duplicate.lead_department_id),
        duplicate,
        EventKind.MERGED_INTO,
        _("Case %(number)s was merged into %(into)s: it is closed, the work goes on there.")
        % {"number": duplicate.number, "into": into.number},
    )
    return into


# ---------------------------------------------------------------------------------------
# The sweep's moves (automatic; idempotent)


def case_raise_yellow(*, case_id: int, now: datetime.datetime) -> bool:
    """Raise the due-soon warning once; False if it was already raised or no longer due."""
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case_id,
            yellow_raised_at__isnull=True,
            status__in=DEADLINE_STATUSES,
            warn_at__lte=now,
        ).update(yellow_raised_at=now, version=F("version") + 1)
        if not claimed:
            return False
        case = Case.objects.get(pk=case_id)
        _event(
            case,
            EventKind.WARN,
            actor=None,
            from_status=case.status,
            data={
                "level": "yellow",
                "reply_due_at": case.reply_due_at.isoformat() if case.reply_due_at else None,
            },
        )
        _notify(
            _department_staff(case.lead_department_id) or _center_operators(case.holder_code),
            case,
            EventKind.WARN,
            _("Case %(number)s is due soon") % {"number": case.number},
        )
        return True


def case_raise_red(*, case_id: int, now: datetime.datetime) -> bool:
    """Overdue: an automatic supervision notice, once."""
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case_id,
            red_raised_at__isnull=True,
            status__in=DEADLINE_STATUSES,
            reply_due_at__lte=now,
        ).update(red_raised_at=now, version=F("version") + 1)
        if not claimed:
            return False
        # Past due, a due-soon warning would only be noise: mark it as done too.
        Case.objects.filter(pk=case_id, yellow_raised_at__isnull=True).update(yellow_raised_at=now)
        case = Case.objects.get(pk=case_id)
        _supervise(
            case,
            actor=None,
            automatic=True,
            message=_("Overdue: the reply was due %(due)s.")
            % {
                "due": timezone.localtime(case.reply_due_at).strftime("%Y-%m-%d %H:%M")
                if case.reply_due_at
                else "—"
            },
        )
        _notify(
            _center_operators(case.holder_code),
            case,
            EventKind.SUPERVISE,
            _("Case %(number)s is overdue") % {"number": case.number},
        )
        return True


def case_request_return_visit(*, case_id: int, now: datetime.datetime) -> bool:
    """No rating in time: ask the holding center to make the return visit, once."""
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case_id,
            return_visit_requested_at__isnull=True,
            status=CaseStatus.REPLIED,
            reply_approved=True,
            rating_due_at__lte=now,
        ).update(return_visit_requested_at=now)
        if not claimed:
            return False
        case = Case.objects.get(pk=case_id)
        _notify(
            _center_operators(case.holder_code),
            case,
            EventKind.RETURN_VISIT,
            _("Case %(number)s: no rating yet, please make the return visit")
            % {"number": case.number},
        )
        return True


# ---------------------------------------------------------------------------------------
# The inbox


def notification_mark_read(*, notification: Notification, user: Any) -> bool:
    """Mark one of the user's own notifications read; False if it already was."""
    if notification.user_id != user.pk:
        raise PermissionDenied(_("This notification is not yours."))
    return bool(
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user read; how many were."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
