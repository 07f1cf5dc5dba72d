"""Admin of webhooks: subscriptions (written through the services; the secret is shown once,
when created or rotated), and the delivery log with the replay of dead letters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import EventKind
from fengqiao.core.admin import AdministratorOnlyAdmin
from fengqiao.webhooks.choices import DeliveryStatus
from fengqiao.webhooks.models import Attempt, Delivery, Subscription
from fengqiao.webhooks.services import (
    check_platform_scope,
    deliveries_replay,
    is_installation_administrator,
    subscription_create,
    subscription_rotate_secret,
    subscription_update,
)
from fengqiao.webhooks.tasks import enqueue

FIELDS = ["name", "url", "event_kinds", "territory_code", "api_key", "max_attempts", "is_active"]


class InstallationAdministratorAdmin(AdministratorOnlyAdmin):
    """Only for administrators of the whole installation (``is_installation_administrator``)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_installation_administrator(request.user) and super().has_module_permission(
            request
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_installation_administrator(request.user) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_installation_administrator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_installation_administrator(request.user) and super().has_change_permission(
            request, obj
        )


class SubscriptionForm(forms.ModelForm[Subscription]):
    url = forms.URLField(
        label=_("receiver URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The HTTPS address the events are posted to."),
    )
    event_kinds = forms.MultipleChoiceField(
        label=_("event types"),
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected: all of them."),
    )

    class Meta:
        model = Subscription
        fields = FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = Subscription(
            territory_code=data.get("territory_code") or "", api_key=data.get("api_key")
        )
        try:
            check_platform_scope(candidate)
        except ValidationError as error:
            self.add_error(None, error)
        else:
            data["territory_code"] = candidate.territory_code
        return data


def _show_secret(request: HttpRequest, subscription: Subscription, secret: str) -> None:
    messages.warning(
        request,
        gettext(
            "The secret of “%(name)s” is %(secret)s — copy it to the receiver now: it is "
            "shown only this once."
        )
        % {"name": subscription.name, "secret": secret},
    )


def _replayed_message(count: int) -> str:
    return ngettext(
        "%(count)d dead letter is being sent again.",
        "%(count)d dead letters are being sent again.",
        count,
    ) % {"count": count}


@admin.register(Subscription)
class SubscriptionAdmin(InstallationAdministratorAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "territory_code", "api_key", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    fields = [*FIELDS, "uuid", "created_at", "updated_at"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    actions = ["rotate_secret", "replay_dead_letters"]

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in FIELDS}
        if change:
            saved = subscription_update(subscription=obj, actor=request.user, **data)
        else:
            is_active = data.pop("is_active")
            saved, secret = subscription_create(actor=request.user, **data)
            if not is_active:
                saved = subscription_update(subscription=saved, actor=request.user, is_active=False)
            _show_secret(request, saved, secret)
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would take the delivery log with it: deactivate instead.
        return False

    @admin.action(description=_("Rotate the secret (the new one is shown once)"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            _show_secret(
                request,
                subscription,
                subscription_rotate_secret(subscription=subscription, actor=request.user),
            )

    @admin.action(description=_("Replay the dead letters of the selected subscriptions"))
    def replay_dead_letters(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        ids: list[int] = []
        for subscription in queryset:
            ids += deliveries_replay(actor=request.user, subscription=subscription)
        enqueue(ids)
        messages.success(request, _replayed_message(len(ids)))


class AttemptInline(admin.TabularInline[Attempt, Delivery]):
    model = Attempt
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "succeeded",
        "error",
        "response_excerpt",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(InstallationAdministratorAdmin):
    list_display = [
        "uuid",
        "subscription",
        "event_kind",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "subscription"]
    list_select_related = ["subscription"]
    search_fields = ["=uuid"]
    fields = readonly_fields = (
        "uuid",
        "subscription",
        "event",
        "event_kind",
        "status",
        "attempts",
        "attempts_total",
        "next_attempt_at",
        "last_error",
        "created_at",
        "delivered_at",
        "dead_at",
        "body",
    )
    inlines = [AttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Replay the selected dead letters"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        chosen = list(queryset.filter(status=DeliveryStatus.DEAD).values_list("id", flat=True))
        ids = deliveries_replay(actor=request.user, deliveries=chosen)
        enqueue(ids)
        messages.success(request, _replayed_message(len(ids)))
