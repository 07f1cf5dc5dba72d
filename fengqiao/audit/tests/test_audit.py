from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AppendOnlyError, AuditEntry
from fengqiao.audit.services import audit_record
from fengqiao.conftest import PASSWORD, World


@pytest.mark.django_db
def test_audit_entries_cannot_be_changed_or_deleted_by_the_application() -> None:
    entry = audit_record(action=AuditAction.EXPORT, username="someone")
    entry.username = "someone else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    # The database itself refuses, even for a bulk query that skips the model.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(username="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    if connection.vendor == "postgresql":
        # Emptying the table needs the administrator's purge switch (off for the application).
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL fengqiao.audit_purge = 'off'")
            cursor.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.get(pk=entry.pk).username == "someone"


@pytest.mark.django_db
def test_logins_and_failures_are_audited(world: World, client: Client) -> None:
    client.post("/login/", {"username": "grid1", "password": "wrong-Password-1"})
    client.post("/login/", {"username": "grid1", "password": PASSWORD})
    actions = list(
        AuditEntry.objects.filter(username="grid1").order_by("id").values_list("action", flat=True)
    )
    assert actions == [AuditAction.LOGIN_FAILED, AuditAction.LOGIN]
