from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOCKED_OUT = "locked_out", _("Account locked after failed logins")
    LOGOUT = "logout", _("Logged out")
    UNMASK = "unmask", _("Viewed a full personal value")
    EXPORT = "export", _("Exported data")
    IMPORT = "import", _("Imported data")
    PERMISSION_CHANGE = "permission_change", _("Changed roles or permissions")
