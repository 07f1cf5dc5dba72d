from django.urls import path

from fengqiao.ledgers import views

app_name = "ledgers"

urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("export/<str:kind>/", views.export, name="export"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/download/", views.download, name="download"),
]
