from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a staff member does; with the scope it decides what they see and may do."""

    ADMINISTRATOR = "admin", _("Administrator")
    CENTER_OPERATOR = "center_operator", _("Center operator")
    DEPARTMENT_HANDLER = "dept_handler", _("Department handler")
    DEPARTMENT_LEADER = "dept_leader", _("Department leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    UNIT_HEAD = "unit_head", _("Ten-household unit head")


# Roles whose scope is a territory subtree; the others are scoped to a department.
TERRITORY_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.CENTER_OPERATOR, Role.GRID_WORKER, Role.UNIT_HEAD}
)
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER})


class DepartmentKind(models.TextChoices):
    """Kinds of departments and organisations that handle matters."""

    GOVERNANCE_CENTER = "center", _("Comprehensive governance center")
    POLICE_STATION = "police", _("Police station")
    JUSTICE_OFFICE = "justice", _("Judicial office")
    PETITIONS_BUREAU = "petitions", _("Letters and visits bureau")
    POLITICAL_LEGAL = "political_legal", _("Political and legal affairs commission")
    FORESTRY_BUREAU = "forestry", _("Forestry bureau")
    TOWNSHIP_GOVERNMENT = "township_gov", _("Township government")
    VILLAGE_COMMITTEE = "village_committee", _("Village or community committee")
    HUMAN_RESOURCES = "hr", _("Human resources and social security bureau")
    NATURAL_RESOURCES = "natural_resources", _("Natural resources bureau")
    HOUSING = "housing", _("Housing and urban-rural development bureau")
    MARKET_REGULATION = "market", _("Market regulation bureau")
    EMERGENCY = "emergency", _("Emergency management bureau")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs bureau")
    OTHER = "other", _("Other")
