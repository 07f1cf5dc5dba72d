"""The case loop: 受理 → 分流 → 处置 → 督办 → 反馈 → 评价.

A ``Case`` is a matter reported by a resident (or found by a grid worker). Its status changes
only through the services in ``services.py``; every change appends a ``CaseEvent`` in the same
transaction. Deadlines are stored as due times; whether a case is overdue is derived from
them, never from a flag.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import (
    DEADLINE_STATUSES,
    OPEN_STATUSES,
    CaseStatus,
    CaseType,
    Channel,
    EventKind,
    Level,
    Rating,
    ReporterKind,
    RequestKind,
    RequestStatus,
    Urgency,
)
from fengqiao.cases.scoping import CaseQuerySet
from fengqiao.core.geo import latitude_field, longitude_field
from fengqiao.core.privacy import EncryptedSensitiveField
from fengqiao.org.models import Department, Matter


class Category(models.Model):
    """A node of the admin-edited category tree (e.g. 治安 › 噪音扰民)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # The codes from the root down to this node, "/"-joined: rules for an ancestor category
    # apply to its descendants, found without recursive queries.
    path = models.CharField(max_length=400, editable=False, db_index=True)
    matter = models.ForeignKey(
        Matter,
        verbose_name=_("matter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Open311 lets anyone read requests; some matters must never be shown to anyone, however
    # they came in. Off for a category hides it and everything below it.
    is_public = models.BooleanField(
        _("public through Open311"),
        default=True,
        help_text=_(
            "Off for matters whose publication could expose people (drug tip-offs, family "
            "disputes, minors, assistance): their cases are never listed, and other systems "
            "cannot file them through Open311. Applies to the categories below it too."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") + 1


class RoutingRule(models.Model):
    """谁主管、谁负责: matters of a category in a territory go to a department.

    The most specific rule wins: the longest territory code, then the deepest category. With
    ``handle_directly`` the department takes the case at intake without the center's triage
    (the police station answering a household-registration question at once).
    """

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="rules"
    )
    territory_code = models.CharField(
        _("territory"),
        max_length=18,
        blank=True,
        help_text=_("Territory code the rule applies under; blank for everywhere."),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    handle_directly = models.BooleanField(
        _("handled directly"),
        default=False,
        help_text=_("The department takes such cases at once, without the center's triage."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__path", "territory_code"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "territory_code"], name="routing_rule_unique_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} @ {self.territory_code or '*'} → {self.department}"


class DeadlinePolicy(models.Model):
    """Time limits for a case type at a level, in working days (data, not code)."""

    case_type = models.CharField(_("case type"), max_length=20, choices=CaseType.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    sign_days = models.PositiveSmallIntegerField(
        _("sign-for within (working days)"),
        default=0,
        help_text=_("0: by the end of the working day the case was dispatched."),
    )
    reply_days = models.PositiveSmallIntegerField(_("reply within (working days)"), default=1)
    hard_reply_days = models.PositiveSmallIntegerField(
        _("hard matters: reply within (working days after approval)"), default=5
    )
    extension_cap_days = models.PositiveSmallIntegerField(
        _("extensions at most (days in total)"),
        default=30,
        validators=[MaxValueValidator(30)],
    )
    yellow_hours = models.PositiveSmallIntegerField(
        _("yellow warning (hours before the deadline)"), default=4
    )
    rating_wait_days = models.PositiveSmallIntegerField(
        _("return visit if no rating within (working days)"), default=3
    )

    class Meta:
        ordering = ["case_type", "level"]
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [models.UniqueConstraint(fields=["case_type", "level"], name="policy_unique")]

    def __str__(self) -> str:
        return f"{self.get_case_type_display()} / {self.get_level_display()}"


class CaseNumberCounter(models.Model):
    """The last sequence number given out in a county on a day (case numbers are readable)."""

    county_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county_code", "day"], name="case_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.day} #{self.last}"


class Case(models.Model):
    """A matter in the loop. ``territory_code`` is where it happened; ``holder_code`` the
    center that currently holds it (village, township or county)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("case number"), max_length=24, unique=True, editable=False)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    case_type = models.CharField(_("type"), max_length=20, choices=CaseType.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000)
    # Where: the smallest territory known (grid or unit if known, else village, township …).
    territory_code = models.CharField(_("territory"), max_length=18)
    household = models.ForeignKey(
        "territory.Household",
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    holder_code = models.CharField(_("held by"), max_length=15)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_cases",
        # The composite indexes case_department(_deadline) lead with this column.
        db_index=False,
    )
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("co-handling departments"), blank=True, related_name="+"
    )
    # Not indexed, like merged_into and created_by below: no page filters by them, and every
    # index is written by every intake (a department or account is almost never deleted, the
    # only query that would scan for them).
    suggested_department = models.ForeignKey(
        Department,
        verbose_name=_("routing suggestion"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Deadlines (stored; overdue is derived from them) and the warnings already raised.
    sign_due_at = models.DateTimeField(_("sign for by"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("reply by"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    yellow_raised_at = models.DateTimeField(null=True, blank=True, editable=False)
    red_raised_at = models.DateTimeField(null=True, blank=True, editable=False)
    rating_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    return_visit_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_hard = models.BooleanField(_("hard matter"), default=False)
    extension_days = models.PositiveSmallIntegerField(_("days of extension granted"), default=0)
    return_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    return_visit_count = models.PositiveSmallIntegerField(_("return visits"), default=0)
    reply_text = models.TextField(_("reply"), blank=True)
    reply_approved = models.BooleanField(_("reply approved"), default=False)
    resolved_on_spot = models.BooleanField(_("resolved on the spot"), default=False)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        db_index=False,
    )
    # Optimistic concurrency: a form carries the version it showed; a stale one is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["territory_code", "created_at"], name="case_territory_time"),
            models.Index(fields=["holder_code", "status", "created_at"], name="case_holder"),
            models.Index(
                fields=["lead_department", "status", "created_at"], name="case_department"
            ),
            models.Index(fields=["status", "created_at"], name="case_status_time"),
            # The deadline lists (in progress, due soon, overdue) of a department and of a
            # center, in deadline order: they read the open cases whose reply deadline runs,
            # never the closed ones that make up most of the table. The department's index
            # leads with the status so that both databases use it (SQLite cannot use a partial
            # index whose condition lists values when the query binds them as parameters, as
            # Django's queries do); the center's is partial and serves PostgreSQL, where a
            # center holds thousands of open cases; on SQLite ``case_holder`` serves.
            models.Index(
                fields=["lead_department", "status", "reply_due_at"],
                name="case_department_deadline",
            ),
            models.Index(
                fields=["holder_code", "reply_due_at"],
                name="case_holder_deadline",
                condition=Q(status__in=DEADLINE_STATUSES),
            ),
            # The sweep reads only what is newly due: open cases whose warning or deadline
            # has come and that were not yet warned (partial indexes, both databases).
            models.Index(
                fields=["warn_at"],
                name="case_warn_pending",
                condition=Q(yellow_raised_at__isnull=True, status__in=DEADLINE_STATUSES),
            ),
            models.Index(
                fields=["reply_due_at"],
                name="case_red_pending",
                condition=Q(red_raised_at__isnull=True, status__in=DEADLINE_STATUSES),
            ),
            # The dashboards' overdue list and "overdue now" of an area, most overdue first:
            # the open cases with a running deadline, in deadline order (PostgreSQL otherwise
            # intersected a township's quarter of a million cases to find its few overdue).
            models.Index(
                fields=["reply_due_at"],
                name="case_deadline_running",
                condition=Q(status__in=DEADLINE_STATUSES),
            ),
            models.Index(
                fields=["rating_due_at"],
                name="case_visit_pending",
                condition=Q(return_visit_requested_at__isnull=True, status="replied"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseReporter(models.Model):
    """Who reported the case. A merged duplicate's reporters move to the surviving case, so
    each of them keeps following it through their own tracking link."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reporters")
    kind = models.CharField(_("reporter"), max_length=10, choices=ReporterKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = EncryptedSensitiveField(_("phone"), kind="phone")
    phone_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    household = models.ForeignKey(
        "territory.Household", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "territory.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tracking_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")

    def __str__(self) -> str:
        return self.name or self.get_kind_display()


class CaseEvent(models.Model):
    """One move on the timeline. Append-only: the audit trail, the resident's tracking page
    and the statistics all read these rows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The acting body as the resident may see it (a department or center, never a person).
    actor_body = models.CharField(_("acting body"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=CaseStatus.choices, blank=True)
    note = models.TextField(_("why / what"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["kind", "created_at"], name="case_event_kind_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseRequest(models.Model):
    """A department's request for an extension or for hard-matter status, and its decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="pending"),
                name="one_pending_request_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_status_display()}"


class SupervisionNotice(models.Model):
    """督办: a center's notice to the handling department (manual, or automatic when overdue)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    automatic = models.BooleanField(_("automatic"), default=False)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")

    def __str__(self) -> str:
        return self.message[:50]


class CaseAttachment(models.Model):
    """A photo or document attached to a case (EXIF location removed from photos)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """An in-app inbox message to a staff member about a case."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", null=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.message
