from django.urls import path

from fengqiao.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("screen/", views.screen_view, name="screen"),
    path("map/", views.map_view, name="map"),
]
