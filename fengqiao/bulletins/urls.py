"""Staff pages of bulletins, mounted at /bulletins/."""

from django.urls import URLPattern, path

from fengqiao.bulletins import views

app_name = "bulletins"

urlpatterns: list[URLPattern] = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_new, name="new"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/edit/", views.bulletin_change, name="edit"),
    path("<int:pk>/withdraw/", views.bulletin_withdraw_view, name="withdraw"),
]
