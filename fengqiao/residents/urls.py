"""The residents' pages, mounted at /d/ (the address in every plate's QR code is
``/d/<token>/``). Fixed names (``find/``, ``t/``) are shorter than any token."""

from django.urls import URLPattern, path, register_converter

from fengqiao.residents import views


class DoorplateTokenConverter:
    """A doorplate token: URL-safe base64, 22 characters as issued; a little leeway."""

    regex = r"[A-Za-z0-9_\-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DoorplateTokenConverter, "plate")

app_name = "residents"

urlpatterns: list[URLPattern] = [
    path("find/", views.lookup, name="find"),
    path("t/<uuid:tracking>/", views.track, name="track"),
    path("t/<uuid:tracking>/received/", views.received, name="received"),
    path("<plate:token>/", views.household, name="household"),
    path("<plate:token>/report/", views.report, name="report"),
    path("<plate:token>/call/<slug:who>/", views.call, name="call"),
]
