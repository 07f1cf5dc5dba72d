from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorplatesConfig(AppConfig):
    name = "fengqiao.doorplates"
    label = "doorplates"
    verbose_name = _("QR doorplates")

    def ready(self) -> None:
        from django.core.checks import register

        register(font_check)


def font_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    """Warn at start-up (``manage.py check``) when the font plates are printed in is missing:
    printing would fail, naming the Debian package to install."""
    from django.core.checks import Warning as CheckWarning

    from fengqiao.doorplates.printing import FONT_PACKAGE, font_path

    path = font_path()
    if path.is_file():
        return []
    return [
        CheckWarning(
            f"The CJK font for printing doorplates is missing: {path}.",
            hint=f"apt-get install {FONT_PACKAGE} (make print-deps does it), or set "
            "FENGQIAO_PDF_FONT to another TrueType CJK font.",
            id="doorplates.W001",
        )
    ]
