"""The production server starts the way `make demo` starts it and answers /healthz."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGQIAO_")}
    keys = subprocess.run(
        [sys.executable, "manage.py", "generate_keys"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    env.update(dict(line.split("=", 1) for line in keys))
    env["FENGQIAO_VAR_DIR"] = str(var_dir)
    env["FENGQIAO_DATABASE_URL"] = f"sqlite:///{var_dir / 'serve.sqlite3'}"
    return env


@pytest.mark.skipif(not (ROOT / "staticfiles").exists(), reason="needs `make assets` first")
def test_gunicorn_serves_healthz_on_a_fresh_database(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "fengqiao.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "gunicorn did not answer"
        assert body["database"]["engine"] == "sqlite"
        assert body["migrations"]["state"] == "current"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
            page = r.read().decode()
        assert 'lang="zh-hans"' in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_production_server_refuses_development_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGQIAO_")}
    env["FENGQIAO_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import fengqiao.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "development keys" in result.stderr
