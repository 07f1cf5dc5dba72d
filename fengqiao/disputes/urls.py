"""Staff pages of the dispute register, mounted at /disputes/."""

from django.urls import URLPattern, path

from fengqiao.disputes import ledger_views, views

app_name = "disputes"

urlpatterns: list[URLPattern] = [
    path("", views.register, name="list"),
    path("new/", views.register_new, name="new"),
    path("supervision/", views.supervision, name="supervision"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("from-case/<str:number>/", views.from_case, name="from_case"),
    path("parties/<int:pk>/unmask/<str:field>/", views.party_unmask, name="party_unmask"),
    path("signed-copies/<int:pk>/", views.signed_copy, name="signed_copy"),
    path("export/", ledger_views.register_export, name="export"),
    path("agreements/<int:pk>/pdf/<str:copy>/", ledger_views.agreement_pdf, name="agreement_pdf"),
    path("<str:number>/", views.detail, name="detail"),
    # One URL name per move (disputes:escalate, disputes:assign …), all answered by ``act``.
    *[
        path(f"<str:number>/{name}/", views.act, {"action": name}, name=name)
        for name in views.ACTIONS
    ],
]
