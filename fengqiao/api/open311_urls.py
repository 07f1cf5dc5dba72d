"""Open311 GeoReport v2 under ``/open311/v2/``: every resource as ``.xml`` and ``.json``."""

from __future__ import annotations

from django.urls import path, register_converter

from fengqiao.api import views


class FormatConverter:
    regex = "xml|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311format")

app_name = "open311"

urlpatterns = [
    path("discovery.<open311format:fmt>", views.discovery, name="discovery"),
    path("services.<open311format:fmt>", views.services, name="services"),
    path(
        "services/<str:service_code>.<open311format:fmt>",
        views.service_definition,
        name="service_definition",
    ),
    path("requests.<open311format:fmt>", views.service_requests, name="requests"),
    path(
        "requests/<str:service_request_id>.<open311format:fmt>",
        views.service_request,
        name="request",
    ),
    path("tokens/<str:token>.<open311format:fmt>", views.token, name="token"),
    path(
        "servicerequestupdates.<open311format:fmt>",
        views.service_request_updates,
        name="updates",
    ),
]
