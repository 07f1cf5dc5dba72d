"""``/api/v1/`` (the resources), ``/api/schema/`` (OpenAPI 3) and its documentation pages."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from fengqiao.api.rest import statistics, views

app_name = "api"

router = DefaultRouter()
router.register("areas", views.AreaViewSet, basename="area")
router.register("grids", views.GridViewSet, basename="grid")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("persons", views.PersonViewSet, basename="person")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("cases", views.CaseViewSet, basename="case")
router.register("disputes", views.DisputeViewSet, basename="dispute")
router.register("bulletins", views.BulletinViewSet, basename="bulletin")

urlpatterns = [
    path("v1/statistics/", statistics.StatisticsView.as_view(), name="statistics"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/swagger/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger"),
    path("schema/redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Anything else under /api/ answers a problem document, never the site's HTML 404 page.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
