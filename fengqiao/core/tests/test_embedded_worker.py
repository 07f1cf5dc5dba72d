"""The embedded default runs background work with no broker service: a Celery worker on the
filesystem transport under var/, as `make demo` starts it, picks up a task sent by the site."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_worker_on_the_filesystem_transport_runs_a_task(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGQIAO_")}
    env.update(
        FENGQIAO_VAR_DIR=str(tmp_path),  # a fresh var/: no broker folders yet
        FENGQIAO_DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "fengqiao",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from fengqiao.celery import app; "
                "app.send_task('cases.sweep_deadlines')",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "fengqiao.settings"},
            check=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "succeeded" not in log.read_text():
            assert worker.poll() is None, log.read_text()
            time.sleep(0.3)
        text = log.read_text()
        assert "cases.sweep_deadlines" in text and "succeeded" in text, text
    finally:
        worker.terminate()
        worker.wait(timeout=15)
