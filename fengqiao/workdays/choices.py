from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    WORKING = "working", _("Working day")
    REST = "rest", _("Rest day")
