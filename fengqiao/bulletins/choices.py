from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BulletinKind(models.TextChoices):
    """What a bulletin is about: the warnings and publicity 码上办 pushes to households."""

    PUBLIC_SECURITY = "public_security", _("Public security")
    NATURAL_DISASTER = "natural_disaster", _("Natural disaster")
    ANTI_FRAUD = "anti_fraud", _("Anti-fraud")
    ANTI_DRUG = "anti_drug", _("Anti-drug")
    MINOR_PROTECTION = "minor_protection", _("Minor protection")
    TRAFFIC_SAFETY = "traffic_safety", _("Traffic safety")


class BulletinUrgency(models.TextChoices):
    """Urgent bulletins are pinned above the others on residents' pages."""

    NORMAL = "normal", pgettext_lazy("bulletin", "Normal")
    URGENT = "urgent", pgettext_lazy("bulletin", "Urgent")


class BulletinState(models.TextChoices):
    """Where a bulletin stands at a moment: derived from its period and withdrawal, never
    stored (a stored state would need a sweep to stay true)."""

    SCHEDULED = "scheduled", _("Scheduled")
    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", pgettext_lazy("bulletin", "Withdrawn")


class BulletinEventKind(models.TextChoices):
    """Every change of a bulletin writes exactly one event."""

    PUBLISHED = "published", pgettext_lazy("bulletin event", "Published")
    EDITED = "edited", pgettext_lazy("bulletin event", "Edited")
    WITHDRAWN = "withdrawn", pgettext_lazy("bulletin event", "Withdrawn")
