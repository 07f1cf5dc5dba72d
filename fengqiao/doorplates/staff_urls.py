"""Staff pages of the doorplates (码上办门牌), mounted at /doorplates/."""

from django.urls import URLPattern, path, register_converter

from fengqiao.doorplates import staff_views


class AreaCodeConverter:
    """A township's (9 digits) or village's (12 digits) territory code."""

    regex = r"\d{9}|\d{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AreaCodeConverter, "area_code")

app_name = "doorplates"

urlpatterns: list[URLPattern] = [
    path("", staff_views.index, name="index"),
    path("areas/<area_code:code>/", staff_views.area, name="area"),
    path("areas/<area_code:code>/print/", staff_views.area_print, name="area_print"),
    path("sheets/<int:pk>/", staff_views.sheet, name="sheet"),
    path("sheets/<int:pk>/download/", staff_views.sheet_download, name="sheet_download"),
    path("households/<int:pk>/", staff_views.household, name="household"),
    path("households/<int:pk>/issue/", staff_views.household_issue, name="household_issue"),
    path("households/<int:pk>/revoke/", staff_views.household_revoke, name="household_revoke"),
    path(
        "households/<int:pk>/plate.svg",
        staff_views.household_plate,
        {"kind": "svg"},
        name="household_plate_svg",
    ),
    path(
        "households/<int:pk>/plate.png",
        staff_views.household_plate,
        {"kind": "png"},
        name="household_plate_png",
    ),
]
