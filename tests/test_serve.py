"""`make run`'s server script (scripts/serve.sh) answers on the port PORT names, with links on that port."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_serve_sh_listens_on_the_port_named_by_port_and_prints_its_links(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "SITE_URL", "DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "SECRET_KEY": "serve-test",
        "DEBUG": "1",
        "PORT": str(port),
        "TASK_BACKEND": "",  # as `make run` has it: the database queue and its worker, not the suite's inline tasks
        "PYTHONPATH": str(BASE_DIR),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        server = subprocess.Popen(
            ["bash", "scripts/serve.sh"], cwd=BASE_DIR, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.5)
            status = _status(f"http://127.0.0.1:{port}/healthz")
        assert status == 200, output.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    banner = output.read_text()
    assert f"http://127.0.0.1:{port}/accounts/login/" in banner
    assert "127.0.0.1:8000" not in banner
