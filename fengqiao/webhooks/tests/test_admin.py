"""Administrators manage subscriptions in the admin (the secret shown once, stored encrypted)
and replay dead letters there; nobody else gets in."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from fengqiao.api.services import api_key_create
from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import World
from fengqiao.org.models import User
from fengqiao.webhooks.choices import DeliveryStatus
from fengqiao.webhooks.models import Delivery, Subscription
from fengqiao.webhooks.services import deliveries_dispatch, subscription_create, subscription_secret
from fengqiao.webhooks.tests.conftest import Receiver, submit

ADD = "admin:webhooks_subscription_add"


def form(**changes: Any) -> dict[str, Any]:
    return {
        "name": "province",
        "url": "https://platform.example.org/hooks",
        "event_kinds": ["accept", "close"],
        "territory_code": "",
        "api_key": "",
        "max_attempts": "12",
        "is_active": "on",
        **changes,
    }


@pytest.mark.django_db
def test_an_administrator_adds_a_subscription_and_sees_the_secret_once(
    world: World, client: Client
) -> None:
    client.force_login(world.admin)
    response = client.post(reverse(ADD), form(), follow=True)
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    secret = subscription_secret(subscription)
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(secret in message for message in shown)
    assert subscription.event_kinds == ["accept", "close"]
    assert AuditEntry.objects.filter(detail__webhook="created").count() == 1
    # The change page never shows it again.
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert secret not in page.content.decode()


@pytest.mark.django_db
def test_bad_input_in_the_admin_says_what_to_fix(world: World, client: Client) -> None:
    client.force_login(world.admin)
    api_key, _ = api_key_create(name="province", territory_code=world.a.area.territory_code)
    response = client.post(
        reverse(ADD),
        form(url="not an address", territory_code=world.b.area.territory_code, api_key=api_key.pk),
    )
    assert response.status_code == 200  # the form again, with the errors
    errors = str(response.context["adminform"].form.errors)
    assert "url" in errors
    response = client.post(
        reverse(ADD), form(territory_code=world.b.area.territory_code, api_key=api_key.pk)
    )
    problems = response.context["adminform"].form.errors["territory_code"]
    assert any(world.a.area.territory_code in problem for problem in problems)
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_rotating_the_secret_shows_the_new_one_once(world: World, client: Client) -> None:
    subscription, old = subscription_create(name="province", url="https://example.org/h")
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:webhooks_subscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
        follow=True,
    )
    new = subscription_secret(Subscription.objects.get())
    assert new != old
    assert any(new in str(message) for message in get_messages(response.wsgi_request))


@pytest.mark.django_db
def test_an_administrator_replays_dead_letters_from_the_delivery_list(
    world: World,
    client: Client,
    clock: Any,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscription_create(name="province", url=receiver.url, event_kinds=["submit"])
    submit(world)
    deliveries_dispatch()
    Delivery.objects.update(status=DeliveryStatus.DEAD, attempts=12)
    client.force_login(world.admin)
    delivery = Delivery.objects.get()
    page = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    listing = client.get(reverse("admin:webhooks_delivery_changelist"), {"status": "dead"})
    assert listing.status_code == 200 and str(delivery.uuid) in listing.content.decode()
    assert "死信" in listing.content.decode()  # Chinese by default
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:webhooks_delivery_changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [request.delivery for request in receiver.requests] == [str(delivery.uuid)]


@pytest.mark.django_db
def test_staff_other_than_administrators_do_not_get_in(world: World, client: Client) -> None:
    operator = world.a.users["township_operator"]
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    client.force_login(operator)
    assert client.get(reverse("admin:webhooks_subscription_changelist")).status_code in (302, 403)
    assert client.post(reverse(ADD), form()).status_code in (302, 403)
    assert not Subscription.objects.exists()


def test_an_administrator_scoped_to_a_township_does_not_get_in(
    world: World, client: Client
) -> None:
    scoped = User.objects.get(pk=world.admin.pk)
    scoped.pk = None
    scoped.username, scoped.is_superuser = "admin-a", False
    scoped.scope_code = world.a.area.territory_code
    scoped.save()
    client.force_login(scoped)
    assert client.get(reverse("admin:webhooks_subscription_changelist")).status_code in (302, 403)
    assert client.get(reverse("admin:webhooks_delivery_changelist")).status_code in (302, 403)
    assert client.post(reverse(ADD), form()).status_code in (302, 403)
    assert not Subscription.objects.exists()
    with pytest.raises(PermissionDenied):
        subscription_create(name="township", url="https://example.org/hook", actor=scoped)
