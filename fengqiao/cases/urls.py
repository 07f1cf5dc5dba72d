"""Staff pages of the case loop, mounted at /cases/."""

from django.urls import URLPattern, path, register_converter

from fengqiao.cases import views


class CaseNumberConverter:
    """A case number as the intake gives it out: county-date-sequence, e.g.
    520524-20260608-00012."""

    regex = r"[0-9A-Za-z][0-9A-Za-z-]{0,23}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseNumberConverter, "case_number")

app_name = "cases"

urlpatterns: list[URLPattern] = [
    path("", views.workbench, name="workbench"),
    path("all/", views.case_list, name="list"),
    path("report/", views.report, name="report"),
    path("new/", views.intake, name="intake"),
    path("new/households/", views.household_options, name="household_options"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("inbox/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("<case_number:number>/", views.detail, name="detail"),
    path("<case_number:number>/files/<int:pk>/", views.attachment, name="attachment"),
    # One URL name per move (cases:accept, cases:dispatch …), all answered by ``act``.
    *[
        path(f"<case_number:number>/{name}/", views.act, {"action": name}, name=name)
        for name in views.ACTIONS
    ],
]
