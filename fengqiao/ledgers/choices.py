from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerKind(models.TextChoices):
    """The ledgers (台账) one can export; each is a module listed in ``registry``."""

    CASES = "cases", _("Case ledger")
    DISPUTES = "disputes", _("Dispute register ledger")
    PERFORMANCE = "performance", _("Department performance ledger")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Writing")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
