"""Staff pages of the territory, mounted at /territory/."""

from django.urls import URLPattern, path, register_converter

from fengqiao.territory import views


class TerritoryCodeConverter:
    """A territory code: 2 to 18 digits (province … ten-household unit)."""

    regex = r"\d{2,18}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TerritoryCodeConverter, "territory_code")

app_name = "territory"

urlpatterns: list[URLPattern] = [
    path("", views.browse, name="browse"),
    path("areas/<territory_code:code>/", views.area, name="area"),
    path(
        "areas/<territory_code:code>/households/",
        views.area_households,
        name="area_households",
    ),
    path("grids/<territory_code:code>/", views.grid, name="grid"),
    path("units/<territory_code:code>/", views.unit, name="unit"),
    path("households/<int:pk>/", views.household, name="household"),
    path("persons/<int:pk>/unmask/<str:field>/", views.person_unmask, name="person_unmask"),
    path("search/", views.search, name="search"),
]
