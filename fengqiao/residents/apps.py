from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    """码上办 for residents: the pages a scanned doorplate opens (no account, no app)."""

    name = "fengqiao.residents"
    label = "residents"
    verbose_name = _("Residents' pages")

    def ready(self) -> None:
        from fengqiao.residents import checks  # noqa: F401  (registers the deploy check)
