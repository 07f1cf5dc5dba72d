"""URLs of the roster import and export (household and person spreadsheets)."""

from django.urls import URLPattern, path

from fengqiao.territory import roster_views

app_name = "roster"

urlpatterns: list[URLPattern] = [
    path("import/", roster_views.roster_import, name="import"),
    path("import/<int:pk>/", roster_views.roster_import_status, name="import_status"),
    path("template/", roster_views.roster_template, name="template"),
    path("export/", roster_views.roster_export_download, name="export"),
]
