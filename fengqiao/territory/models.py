"""The territory and the people in it: 一中心一张网十联户.

Area (province … village/community, official 12-digit codes) → Grid → ten-household unit
(联户体) → Household → Person. Every row stores ``territory_code``, the code of the smallest
territory it belongs to, and is read through ``visible_to`` (see fengqiao.core.scoping).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.geo import latitude_field, longitude_field
from fengqiao.core.privacy import EncryptedSensitiveField, lookup_digest
from fengqiao.core.scoping import TerritoryScopedQuerySet
from fengqiao.territory.choices import AreaKind, AreaLevel, Relation, Sex

official_code_validator = RegexValidator(
    r"^\d{12}$", _("An official division code has exactly 12 digits.")
)


class Area(models.Model):
    """An administrative division under its official statistical code (统计用区划代码).

    Codes change from year to year, so an area carries its validity period; the row valid
    today has no ``valid_to``.
    """

    code = models.CharField(_("division code"), max_length=12, validators=[official_code_validator])
    territory_code = models.CharField(_("territory code"), max_length=12, editable=False)
    name = models.CharField(_("name"), max_length=60)
    level = models.CharField(_("level"), max_length=10, choices=AreaLevel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="area_current_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="area_validity_ordered",
            ),
        ]
        indexes = [models.Index(fields=["territory_code"], name="area_territory")]

    def __str__(self) -> str:
        return self.name


class GridPartyGroup(models.Model):
    """A grid party group (网格党小组), set up for one grid or shared by several (联合建)."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("village or township"), on_delete=models.PROTECT, related_name="+"
    )
    territory_code = models.CharField(_("territory code"), max_length=12, editable=False)
    leader_name = models.CharField(_("group leader"), max_length=50, blank=True)
    member_count = models.PositiveIntegerField(_("party members"), default=0)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code", "name"]
        verbose_name = _("grid party group")
        verbose_name_plural = _("grid party groups")
        indexes = [models.Index(fields=["territory_code"], name="partygroup_territory")]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A grid (网格) under exactly one village or community; its code extends the village's."""

    code = models.CharField(
        _("grid code"),
        max_length=15,
        unique=True,
        validators=[RegexValidator(r"^\d{15}$", _("A grid code has 15 digits."))],
    )
    name = models.CharField(_("name"), max_length=60)
    village = models.ForeignKey(
        Area,
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": AreaLevel.VILLAGE},
    )
    party_group = models.ForeignKey(
        GridPartyGroup,
        verbose_name=_("party group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grids",
    )
    territory_code = models.CharField(_("territory code"), max_length=15, editable=False)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [
            models.CheckConstraint(
                condition=Q(territory_code=F("code")), name="grid_territory_is_code"
            )
        ]
        indexes = [models.Index(fields=["territory_code"], name="grid_territory")]

    def __str__(self) -> str:
        return self.name


class HouseholdUnit(models.Model):
    """A ten-household unit (联户体) in a grid, led by its head (联户长)."""

    code = models.CharField(
        _("unit code"),
        max_length=18,
        unique=True,
        validators=[RegexValidator(r"^\d{18}$", _("A ten-household unit code has 18 digits."))],
    )
    name = models.CharField(_("name"), max_length=60)
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="units"
    )
    head = models.ForeignKey(
        "Person",
        verbose_name=_("unit head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    territory_code = models.CharField(_("territory code"), max_length=18, editable=False)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code"]
        verbose_name = _("ten-household unit")
        verbose_name_plural = _("ten-household units")
        indexes = [models.Index(fields=["territory_code"], name="unit_territory")]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """A household (户) at its doorplate: the file of 一户一档."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="households"
    )
    unit = models.ForeignKey(
        HouseholdUnit,
        verbose_name=_("ten-household unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
    )
    territory_code = models.CharField(_("territory code"), max_length=18, editable=False)
    address = models.CharField(_("doorplate address"), max_length=120)
    building = models.CharField(_("building"), max_length=20, blank=True)
    entrance = models.CharField(_("unit (entrance)"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    head_name = models.CharField(_("head of household"), max_length=50, blank=True)
    member_count = models.PositiveSmallIntegerField(_("members"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            # The doorplate identifies a household within its grid: re-importing a roster
            # finds the household again by it instead of creating a second one.
            models.UniqueConstraint(
                fields=["grid", "address", "building", "entrance", "room"],
                name="household_unique_doorplate",
            )
        ]
        indexes = [
            models.Index(fields=["territory_code", "id"], name="household_territory"),
            models.Index(fields=["address"], name="household_address"),
        ]

    def __str__(self) -> str:
        return self.doorplate

    @property
    def doorplate(self) -> str:
        parts = [self.address]
        if self.building:
            parts.append(_("Building %s") % self.building)
        if self.entrance:
            parts.append(_("Unit %s") % self.entrance)
        if self.room:
            parts.append(_("Room %s") % self.room)
        return " ".join(str(part) for part in parts)


class PersonTag(models.Model):
    """A label on a person (留守儿童, 独居老人 …); sensitive ones need a permission to see."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Special-population tags are shown only to staff allowed to see them."),
    )

    class Meta:
        ordering = ["sensitive", "code"]
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A member of a household (一人一表). ID number and phone are encrypted at rest."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members"
    )
    territory_code = models.CharField(_("territory code"), max_length=18, editable=False)
    name = models.CharField(_("name"), max_length=50)
    id_number = EncryptedSensitiveField(_("citizen ID number"), kind="id_number")
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False)
    phone = EncryptedSensitiveField(_("phone"), kind="phone")
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=10, blank=True)
    relation = models.CharField(
        _("relation to the head"), max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    tags = models.ManyToManyField(PersonTag, verbose_name=_("tags"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            # One person, one row: the keyed hash of the ID number is unique when present.
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=~Q(id_number_digest=""),
                name="person_unique_id_number",
            )
        ]
        indexes = [
            models.Index(fields=["territory_code", "id"], name="person_territory"),
            models.Index(fields=["phone_digest"], name="person_phone_digest"),
            models.Index(fields=["name"], name="person_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        """Set the ID number and its lookup hash together (they must never disagree)."""
        self.id_number = value
        self.id_number_digest = lookup_digest(value, "id_number")

    def set_phone(self, value: str) -> None:
        self.phone = value
        self.phone_digest = lookup_digest(value, "phone")


class RosterImport(models.Model):
    """One uploaded household roster (花名册) and how importing it went.

    The status page reads this row: the background task commits progress to it after every
    batch (see fengqiao.territory.roster for why the import never holds one long transaction).
    The uploaded file holds full ID numbers in plain text, so the task deletes it when done.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Importing")
        FAILED = "failed", _("Failed")
        DONE = "done", _("Imported")

    class Stage(models.TextChoices):
        CHECKING = "checking", _("Checking rows")
        WRITING = "writing", _("Writing rows")

    file = models.FileField(_("roster file"), upload_to="rosters/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, blank=True)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    households_created = models.PositiveIntegerField(_("households created"), default=0)
    households_updated = models.PositiveIntegerField(_("households updated"), default=0)
    households_unchanged = models.PositiveIntegerField(_("households unchanged"), default=0)
    persons_created = models.PositiveIntegerField(_("persons created"), default=0)
    persons_updated = models.PositiveIntegerField(_("persons updated"), default=0)
    persons_unchanged = models.PositiveIntegerField(_("persons unchanged"), default=0)
    # The report: [{"row": 12, "column": "公民身份号码", "problem": "…"}], capped; error_count
    # counts them all.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors found"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="rosterimport_owner")]

    def __str__(self) -> str:
        return self.original_name or f"#{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int | None:
        """How far the current stage has got, when the number of rows is known."""
        if not self.rows_total:
            return None
        return min(100, round(100 * self.rows_done / self.rows_total))
