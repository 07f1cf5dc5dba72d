from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DisputeType(models.TextChoices):
    """The 人民调解 statistical types (DOMAIN.md), plus the ones some systems add."""

    MARRIAGE_FAMILY = "marriage_family", _("Marriage and family")
    NEIGHBOUR = "neighbour", _("Neighbours")
    HOUSING_HOMESTEAD = "housing_homestead", _("Housing and homestead")
    CONTRACT = "contract", _("Contract")
    BUSINESS = "business", _("Production and business")
    DAMAGES = "damages", _("Compensation for damage")
    LAND_FOREST = "land_forest", _("Forest and land")
    EXPROPRIATION = "expropriation", _("Land expropriation and demolition")
    POLLUTION = "pollution", _("Environmental pollution")
    LABOUR = "labour", _("Labour dispute")
    MEDICAL = "medical", _("Medical")
    TRAFFIC = "traffic", _("Road traffic accident")
    PROPERTY_MANAGEMENT = "property_management", _("Property management")
    FIRE = "fire", _("Fire safety")
    UNPAID_WAGES = "unpaid_wages", _("Unpaid migrant workers' wages")
    CONSUMER = "consumer", _("Consumer")
    ECOMMERCE = "ecommerce", _("E-commerce")
    TOURISM = "tourism", _("Tourism")
    OTHER = "other", _("Other")


class Scale(models.TextChoices):
    """规模: how many people a dispute draws in."""

    INDIVIDUAL = "individual", _("Between individuals")
    SEVERAL = "several", _("Several parties (3–9 people)")
    GROUP = "group", _("Group dispute (10 or more people)")
    MAJOR = "major", _("Major group dispute (50 or more people)")


class Source(models.TextChoices):
    """Where the register entry came from (排查 and reports)."""

    GRID_VISIT = "grid_visit", _("Grid worker's screening visit")
    GRID_MEETING = "grid_meeting", _("Weekly grid meeting")
    CASE = "case", _("A case")
    WALK_IN = "walk_in", _("Walk-in")
    REFERRAL = "referral", _("Referral from a department")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


RISK_ORDER = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class DisputeStatus(models.TextChoices):
    """The register's states: 登记 → 调解 → 协议 → 化解 (or referred / withdrawn)."""

    REGISTERED = "registered", _("Registered, awaiting mediation")
    MEDIATING = "mediating", _("Being mediated")
    AGREED = "agreed", _("Agreement reached, being performed")
    RESOLVED = "resolved", pgettext_lazy("dispute status", "Resolved")
    REFERRED = "referred", _("No agreement, referred")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (DisputeStatus.REGISTERED, DisputeStatus.MEDIATING)
# The mediation deadline (one month by default) runs while the dispute is not yet settled.
DEADLINE_STATUSES = OPEN_STATUSES
# An agreement's performance may still be followed up in these states.
FOLLOW_UP_STATUSES = (DisputeStatus.AGREED, DisputeStatus.RESOLVED)


class Outcome(models.TextChoices):
    """化解是否成功: the result of mediation."""

    AGREEMENT = "agreement", _("Agreement reached")
    NO_AGREEMENT = "no_agreement", _("No agreement")
    WITHDRAWN = "withdrawn", _("Withdrawn by the parties")


class AgreementForm(models.TextChoices):
    WRITTEN = "written", _("Written agreement")
    ORAL = "oral", _("Oral agreement")


class ReferralRoute(models.TextChoices):
    """Where a dispute without agreement is guided (诉调对接, 访调对接 …)."""

    LITIGATION = "litigation", _("Litigation (court)")
    ARBITRATION = "arbitration", _("Arbitration")
    ADMINISTRATIVE = "administrative", _("Administrative route")
    PETITION = "petition", _("Letters and visits (信访)")


class Method(models.TextChoices):
    """化解方式."""

    PEOPLES_MEDIATION = "peoples", _("People's mediation")
    ADMINISTRATIVE_MEDIATION = "administrative", _("Administrative mediation")
    JUDICIAL_MEDIATION = "judicial", _("Judicial mediation")
    JOINT_MEDIATION = "joint", _("Joint mediation")
    DELIBERATION = "deliberation", _("Three-party deliberation")
    OTHER = "other", _("Other")


class CommitteeKind(models.TextChoices):
    VILLAGE = "village", _("Village or community mediation committee")
    TOWNSHIP = "township", _("Township or street mediation committee")
    INDUSTRY = "industry", _("Industry or professional mediation committee")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Party A (applicant)")
    RESPONDENT = "respondent", _("Party B (respondent)")
    THIRD = "third", _("Other party")


class IdType(models.TextChoices):
    """证件类型. Only the resident ID card is checked against GB 11643."""

    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan", _("Mainland travel permit for Taiwan residents")
    USCC = "uscc", _("Unified social credit code (organisation)")
    NONE = "none", _("No document")


class Education(models.TextChoices):
    """学历."""

    NONE = "none", _("No schooling")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary or vocational")
    COLLEGE = "college", _("College")
    BACHELOR = "bachelor", _("Bachelor's degree or above")
    UNKNOWN = "unknown", _("Unknown")


class PersonCategory(models.TextChoices):
    """人员类别."""

    FARMER = "farmer", _("Farmer")
    WORKER = "worker", _("Worker")
    MIGRANT_WORKER = "migrant_worker", _("Migrant worker")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    CIVIL_SERVANT = "civil_servant", _("Civil servant or cadre")
    STUDENT = "student", _("Student")
    RETIRED = "retired", pgettext_lazy("person category", "Retired")
    UNEMPLOYED = "unemployed", _("Unemployed")
    ORGANISATION = "organisation", _("Organisation")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PerformanceResult(models.TextChoices):
    """履行回访: how far the agreement has been performed."""

    PERFORMED = "performed", _("Fully performed")
    PARTLY = "partly", _("Partly performed")
    NOT_PERFORMED = "not_performed", _("Not performed")


class VisitMethod(models.TextChoices):
    ON_SITE = "on_site", _("Visit on site")
    PHONE = "phone", pgettext_lazy("visit", "Phone")
    VIDEO = "video", _("Video call")


class ConfirmationStatus(models.TextChoices):
    """司法确认 applied for at a court, and the court's ruling."""

    APPLIED = "applied", _("Applied, awaiting the court")
    CONFIRMED = "confirmed", _("Confirmed valid by the court")
    REJECTED = "rejected", _("Rejected by the court")


class SupervisionReason(models.TextChoices):
    """Why a dispute is on the centers' supervision list."""

    HIGH_RISK = "high_risk", _("High risk")
    VIOLENT = "violent", _("May turn violent or criminal (民转刑)")
    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due soon")
    MANUAL = "manual", _("Supervision notice")


class EventKind(models.TextChoices):
    """Every move on a dispute; each writes exactly one event."""

    REGISTER = "register", pgettext_lazy("dispute event", "Registered")
    PARTY = "party", pgettext_lazy("dispute event", "Party added")
    RISK = "risk", pgettext_lazy("dispute event", "Risk assessed")
    ESCALATE = "escalate", pgettext_lazy("dispute event", "Escalated")
    ASSIGN = "assign", pgettext_lazy("dispute event", "Assigned for mediation")
    SESSION = "session", pgettext_lazy("dispute event", "Mediation session")
    SESSION_CONFIRM = "session_confirm", pgettext_lazy("dispute event", "Record confirmed")
    OUTCOME = "outcome", pgettext_lazy("dispute event", "Outcome recorded")
    AGREEMENT = "agreement", pgettext_lazy("dispute event", "Agreement drawn up")
    SIGNED_COPY = "signed_copy", pgettext_lazy("dispute event", "Signed copy uploaded")
    FOLLOW_UP = "follow_up", pgettext_lazy("dispute event", "Performance visit")
    CONFIRMATION = "confirmation", pgettext_lazy("dispute event", "Judicial confirmation")
    REVIEW = "review", pgettext_lazy("dispute event", "Reviewed at a grid meeting")
    WARN = "warn", pgettext_lazy("dispute event", "Deadline warning")
    SUPERVISE = "supervise", pgettext_lazy("dispute event", "Supervision notice")
    EVALUATE = "evaluate", pgettext_lazy("dispute event", "Evaluated")
