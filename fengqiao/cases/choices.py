from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    REPORT = "report", _("Report of wrongdoing")
    DISPUTE = "dispute", _("Dispute")
    HAZARD = "hazard", _("Safety hazard")


class Channel(models.TextChoices):
    WINDOW = "window", _("Walk-in window")
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    QR_DOORPLATE = "qr", _("QR doorplate")
    GRID_WORKER = "grid", pgettext_lazy("channel", "Grid worker")
    MOBILE_APP = "app", _("Mobile app")
    PROVINCIAL = "provincial", _("Provincial platform")
    API = "api", _("API")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched, awaiting sign-for")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.ACCEPTED,
    CaseStatus.DISPATCHED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.REPLIED,
)
# While the case is with a department the reply deadline runs; these are the states it counts.
DEADLINE_STATUSES = (
    CaseStatus.ACCEPTED,
    CaseStatus.DISPATCHED,
    CaseStatus.IN_PROGRESS,
)


class Level(models.TextChoices):
    """The level of a center that holds a case (逐级上报: village → township → county)."""

    GRID = "grid", _("Grid")
    VILLAGE = "village", _("Village or community center")
    TOWNSHIP = "township", _("Township or street center")
    COUNTY = "county", _("County center")


LEVEL_BY_CODE_LENGTH = {15: Level.GRID, 12: Level.VILLAGE, 9: Level.TOWNSHIP, 6: Level.COUNTY}
HOLDER_CODE_LENGTHS = (15, 12, 9, 6)


class ReporterKind(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous")
    HOUSEHOLD = "household", _("A household")
    PERSON = "person", _("A named person")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class RequestKind(models.TextChoices):
    EXTENSION = "extension", _("Extension")
    HARD = "hard", _("Hard matter")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class DeadlineState(models.TextChoices):
    NONE = "none", _("No deadline running")
    OK = "ok", _("On time")
    YELLOW = "yellow", _("Due soon")
    RED = "red", _("Overdue")


class EventKind(models.TextChoices):
    """Every move of the case loop; each writes exactly one event."""

    SUBMIT = "submit", pgettext_lazy("event", "Submitted")
    ACCEPT = "accept", pgettext_lazy("event", "Accepted")
    REJECT = "reject", pgettext_lazy("event", "Rejected")
    RESOLVE_ON_SPOT = "resolve_on_spot", pgettext_lazy("event", "Resolved on the spot")
    ESCALATE = "escalate", pgettext_lazy("event", "Escalated")
    DISPATCH = "dispatch", pgettext_lazy("event", "Dispatched")
    SIGN = "sign", pgettext_lazy("event", "Signed for")
    RETURN = "return", pgettext_lazy("event", "Returned as not ours")
    HARD_REQUEST = "hard_request", pgettext_lazy("event", "Hard matter requested")
    HARD_DECISION = "hard_decision", pgettext_lazy("event", "Hard matter decided")
    EXTENSION_REQUEST = "extension_request", pgettext_lazy("event", "Extension requested")
    EXTENSION_DECISION = "extension_decision", pgettext_lazy("event", "Extension decided")
    SUPERVISE = "supervise", pgettext_lazy("event", "Supervision notice")
    WARN = "warn", pgettext_lazy("event", "Deadline warning")
    REPLY = "reply", pgettext_lazy("event", "Replied")
    REVIEW_APPROVE = "review_approve", pgettext_lazy("event", "Reply approved")
    REVIEW_SEND_BACK = "review_send_back", pgettext_lazy("event", "Reply sent back")
    RATE = "rate", pgettext_lazy("event", "Rated")
    REOPEN = "reopen", pgettext_lazy("event", "Reopened")
    RETURN_VISIT = "return_visit", pgettext_lazy("event", "Return visit")
    MERGE = "merge", pgettext_lazy("event", "Merged")
    MERGED_INTO = "merged_into", pgettext_lazy("event", "Merged into another case")
    CLOSE = "close", pgettext_lazy("event", "Closed")
