from django.db import models
from django.utils.translation import gettext_lazy as _


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
    PHONE = "phone", _("Phone")
    QR_DOORPLATE = "qr", _("QR doorplate")
    GRID_WORKER = "grid", _("Grid worker")
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

    SUBMIT = "submit", _("Submitted")
    ACCEPT = "accept", _("Accepted")
    REJECT = "reject", _("Rejected")
    RESOLVE_ON_SPOT = "resolve_on_spot", _("Resolved on the spot")
    ESCALATE = "escalate", _("Escalated")
    DISPATCH = "dispatch", _("Dispatched")
    SIGN = "sign", _("Signed for")
    RETURN = "return", _("Returned as not ours")
    HARD_REQUEST = "hard_request", _("Hard matter requested")
    HARD_DECISION = "hard_decision", _("Hard matter decided")
    EXTENSION_REQUEST = "extension_request", _("Extension requested")
    EXTENSION_DECISION = "extension_decision", _("Extension decided")
    SUPERVISE = "supervise", _("Supervision notice")
    WARN = "warn", _("Deadline warning")
    REPLY = "reply", _("Replied")
    REVIEW_APPROVE = "review_approve", _("Reply approved")
    REVIEW_SEND_BACK = "review_send_back", _("Reply sent back")
    RATE = "rate", _("Rated")
    REOPEN = "reopen", _("Reopened")
    RETURN_VISIT = "return_visit", _("Return visit")
    MERGE = "merge", _("Merged")
    MERGED_INTO = "merged_into", _("Merged into another case")
    CLOSE = "close", _("Closed")
