from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fengqiao.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("territory/roster/", include("fengqiao.territory.roster_urls")),
    path("territory/", include("fengqiao.territory.urls")),
    path("cases/", include("fengqiao.cases.urls")),
    path("bulletins/", include("fengqiao.bulletins.urls")),
    path("disputes/", include("fengqiao.disputes.urls")),
    path("stats/", include("fengqiao.stats.urls")),
    path("open311/v2/", include("fengqiao.api.open311_urls")),
    path("api/", include("fengqiao.api.rest.urls")),
    path("doorplates/", include("fengqiao.doorplates.staff_urls")),
    path("ledgers/", include("fengqiao.ledgers.urls")),
    # The address printed in every plate's QR code: short, so the code stays small.
    path("d/", include("fengqiao.residents.urls")),
    path("admin/", admin.site.urls),
]
