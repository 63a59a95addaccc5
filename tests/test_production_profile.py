"""The production profile is one set of commands: the Procfile, the systemd units in deploy/ and the README's deploy
section say the same thing, and the web command from the Procfile really serves the product (gunicorn, 2 workers)."""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
VENV = "/srv/career-relay/.venv/bin/"


def _procfile() -> dict[str, str]:
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _unit_command(name: str) -> str:
    text = (BASE_DIR / "deploy" / f"career-relay-{name}.service").read_text()
    match = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert match, f"{name}: no ExecStart"
    return match.group(1).replace(VENV, "")


def _without_bind(command: str) -> str:
    return re.sub(r"--bind \S+ ", "", re.sub(r"\$\{(\w+)(:-[^}]*)?\}", r"$\1", command))


def test_the_procfile_names_the_three_processes_and_pins_nothing_unpinned() -> None:
    processes = _procfile()

    assert set(processes) == {"web", "worker", "scheduler"}
    assert processes["web"].startswith("gunicorn config.wsgi ")
    pinned = (BASE_DIR / "requirements.txt").read_text()
    assert re.search(r"^gunicorn==\d+\.\d+\.\d+$", pinned, re.MULTILINE), "gunicorn must be pinned"


def test_each_systemd_unit_runs_its_procfile_command_and_restarts_forever() -> None:
    for name, command in _procfile().items():
        text = (BASE_DIR / "deploy" / f"career-relay-{name}.service").read_text()

        assert _without_bind(_unit_command(name)) == _without_bind(command), name
        assert "Restart=always" in text and "StartLimitIntervalSec=0" in text, name
        assert "EnvironmentFile=/etc/career-relay/env" in text, name


def test_the_readme_deploy_section_is_the_procfile_command_for_command() -> None:
    readme = (BASE_DIR / "README.md").read_text()
    section = readme[readme.index("## 本番環境へのデプロイ") : readme.index("## 開発")]

    for command in _procfile().values():
        assert command in section, command
    for name in ("web", "worker", "scheduler"):
        assert f"deploy/` の `career-relay-{name}.service" in section or f"career-relay-{name}.service" in section


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (loopback only)
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


def test_the_procfile_web_command_serves_the_product_with_japanese_error_pages(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "SITE_URL", "DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'profile.sqlite3'}",
        "SECRET_KEY": "production-profile-test-secret-key-long-enough-for-check",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "TASK_BACKEND": "",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    # ${NAME:-default} as a shell would expand it, with the test's environment.
    web = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m.group(1), m.group(2) or ""), _procfile()["web"])
    command = shlex.split(web)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        status: int | None = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.3)
            status, _ = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200, log.read_text()

        status, body = _get(f"http://127.0.0.1:{port}/r/no-such-link/")
        assert status == 404
        assert "お探しのページが見つかりませんでした" in body
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False)
        assert len(workers.stdout.split()) == 2, "gunicorn runs the 2 workers it was asked for"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit_unless_asked() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's JIT setting is proven on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
    script = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "POSTGRES_JIT": "1"}
    kept = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "jit" not in kept.stdout
