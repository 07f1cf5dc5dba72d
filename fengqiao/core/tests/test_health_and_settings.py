from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_healthz_names_the_engine_and_migration_state(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["engine"] in {"sqlite", "postgresql"}
    assert body["migrations"]["state"] == "current"
    assert body["migrations"]["pending"] == []


@pytest.mark.django_db
def test_healthz_says_whether_next_years_holiday_schedule_is_known(client: Client) -> None:
    import datetime

    import time_machine

    with time_machine.travel(datetime.datetime(2026, 11, 28, 12, tzinfo=datetime.UTC)):
        state = client.get("/healthz").json()["working_days"]
    assert state == {"last_known_year": 2026, "current_year_known": True, "next_year_known": False}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FENGQIAO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_under_production_settings() -> None:
    keys = _manage("generate_keys").stdout.split()
    production = dict(line.split("=", 1) for line in keys)
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        FENGQIAO_DEBUG="0",
        FENGQIAO_HTTPS="1",
        **production,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_the_development_keys() -> None:
    result = _manage("check", "--deploy", FENGQIAO_HTTPS="1")
    assert result.returncode != 0
    assert "fengqiao.E001" in result.stderr and "fengqiao.E002" in result.stderr


def test_bad_configuration_names_the_variable() -> None:
    result = _manage("check", FENGQIAO_DEBUG="perhaps")
    assert result.returncode != 0
    assert "FENGQIAO_DEBUG" in result.stderr
