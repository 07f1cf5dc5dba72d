from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorplatesConfig(AppConfig):
    name = "fengqiao.doorplates"
    label = "doorplates"
    verbose_name = _("QR doorplates")
