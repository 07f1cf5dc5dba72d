"""URLs of the roster import and export (household and person spreadsheets)."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "roster"

urlpatterns: list[URLPattern] = []
