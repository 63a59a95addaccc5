"""`manage.py worker` outlives the database and Redis, and a killed worker's task is found (issue 13).

Real processes: the worker is a subprocess on its own SQLite file; the Redis test starts its own redis-server on a
free port and kills it (never the shared one)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
MARK = "tests.worker_tasks.mark"


def wait_for(check: "object", timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test works on its own copy."""
    database = tmp_path_factory.mktemp("workers") / "template.sqlite3"
    env = base_env(database)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    return database


def base_env(database: Path, **extra: str) -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "worker-test",
        "TASK_BACKEND": "",
        "DEBUG": "",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@pytest.fixture
def database(migrated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "db.sqlite3"
    shutil.copy(migrated, copy)
    return copy


def django_script(env: dict[str, str], code: str) -> str:
    """Run `code` in a fresh Django process on the same database and return what it printed."""
    preamble = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\ndjango.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", preamble + code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def enqueue_mark(env: dict[str, str], marker: Path, seconds: float = 0.0) -> str:
    code = f"from tests.worker_tasks import mark\nprint(mark.enqueue(marker={str(marker)!r}, seconds={seconds}).id)\n"
    return django_script(env, code).strip()


def row(env: dict[str, str], task_id: str) -> dict[str, str]:
    code = (
        "import json\nfrom django_tasks_db.models import DBTaskResult\n"
        f"r = DBTaskResult.objects.get(pk={task_id!r})\n"
        "print(json.dumps({'status': r.status, 'exception': r.exception_class_path, 'traceback': r.traceback}))\n"
    )
    loaded: dict[str, str] = json.loads(django_script(env, code))
    return loaded


def sweep(env: dict[str, str], *, rerunnable: bool, seconds_later: int) -> dict[str, list[str]]:
    """The periodic sweep as the scheduler's job runs it, `seconds_later` seconds from now (the heartbeat's age)."""
    allow = f"lib.tasks.RERUNNABLE_TASKS = lib.tasks.RERUNNABLE_TASKS | {{{MARK!r}}}\n" if rerunnable else ""
    code = (
        "import json\nfrom datetime import timedelta\nfrom django.utils import timezone\nimport lib.tasks\n"
        + allow
        + "from lib.workers import abandoned_tasks_recover\n"
        + f"r = abandoned_tasks_recover(now=timezone.now() + timedelta(seconds={seconds_later}))\n"
        + "print(json.dumps({'rerun': r.rerun, 'failed': r.failed}))\n"
    )
    loaded: dict[str, list[str]] = json.loads(django_script(env, code))
    return loaded


def start_worker(env: dict[str, str], log: Path) -> "subprocess.Popen[bytes]":
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.2"], cwd=BASE_DIR, env=env, stdout=out, stderr=out
        )


def stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("rerunnable", [True, False], ids=["rerunnable", "not-rerunnable"])
def test_a_task_left_running_by_a_killed_database_worker_is_found_by_the_sweep(
    database: Path, tmp_path: Path, rerunnable: bool
) -> None:
    env = base_env(database)
    marker, log = tmp_path / "marker.txt", tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        task_id = enqueue_mark(env, marker, seconds=120)
        assert wait_for(lambda: "start" in text(marker)), text(log)
        # While the worker is alive and beating, the task is running, not abandoned.
        assert sweep(env, rerunnable=rerunnable, seconds_later=0) == {"rerun": [], "failed": []}
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop(worker)
    assert row(env, task_id)["status"] == "RUNNING"

    # The next minute's sweep, once the heartbeat is older than HEARTBEAT_STALE_AFTER (45 s).
    found = sweep(env, rerunnable=rerunnable, seconds_later=60)

    if rerunnable:
        assert found == {"rerun": [MARK], "failed": []}
        assert row(env, task_id)["status"] == "READY"
        again = start_worker(env, log)
        try:
            assert wait_for(lambda: row(env, task_id)["status"] == "SUCCESSFUL", timeout=60), text(log)
        finally:
            stop(again)
        assert text(marker).split() == ["start", "start", "done"]  # the killed run never finished; the rerun did
    else:
        assert found == {"rerun": [], "failed": [MARK]}
        failed = row(env, task_id)
        assert failed["status"] == "FAILED"
        assert failed["exception"] == "lib.workers.TaskAbandoned"
        assert "stopped its heartbeat" in failed["traceback"] and "RERUNNABLE_TASKS" in failed["traceback"]
    # Nothing is left RUNNING, and a second sweep finds nothing more.
    assert sweep(env, rerunnable=rerunnable, seconds_later=60) == {"rerun": [], "failed": []}


def test_the_database_worker_waits_out_a_lost_database_and_runs_tasks_after_it(database: Path, tmp_path: Path) -> None:
    env = base_env(database)
    marker, log = tmp_path / "marker.txt", tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        enqueue_mark(env, marker)
        assert wait_for(lambda: "done" in text(marker)), text(log)
        hidden = tmp_path / "away.sqlite3"
        database.rename(hidden)  # gone: SQLite now opens an empty file without our tables
        assert wait_for(lambda: "データベース に接続できません" in text(log)), text(log)
        assert worker.poll() is None, "the worker exited on the outage"
        for leftover in tmp_path.glob("db.sqlite3*"):
            leftover.unlink()
        hidden.rename(database)
        assert wait_for(lambda: "接続が回復しました" in text(log)), text(log)
        assert worker.poll() is None
        enqueue_mark(env, marker)
        assert wait_for(lambda: text(marker).count("done") == 2), text(log)
    finally:
        stop(worker)
    assert worker.returncode == 0  # SIGTERM is a clean stop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[int, list["subprocess.Popen[bytes]"]]]:
    """A redis-server of this test's own on a free port (never the machine's shared one)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    servers: list[subprocess.Popen[bytes]] = []
    yield port, servers
    for server in servers:
        if server.poll() is None:
            server.kill()
            server.wait()


def start_redis(port: int, servers: list["subprocess.Popen[bytes]"], directory: Path) -> None:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    servers.append(server)

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    assert wait_for(answers, timeout=20), "redis-server did not start"


def test_the_rq_worker_survives_redis_dying_mid_task_and_runs_the_next_task(
    database: Path, tmp_path: Path, own_redis: tuple[int, list["subprocess.Popen[bytes]"]]
) -> None:
    port, servers = own_redis
    start_redis(port, servers, tmp_path)
    env = base_env(database, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    first, second, log = tmp_path / "first.txt", tmp_path / "second.txt", tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        enqueue_mark(env, first, seconds=3)
        assert wait_for(lambda: "start" in text(first)), text(log)
        servers[-1].kill()  # Redis dies while the job runs
        servers[-1].wait()
        assert wait_for(lambda: "Redis に接続できません" in text(log), timeout=60), text(log)
        assert worker.poll() is None, "the worker exited when Redis went away"
        start_redis(port, servers, tmp_path)
        enqueue_mark(env, second)
        assert wait_for(lambda: "done" in text(second), timeout=60), text(log)
        assert "接続が回復しました" in text(log)
        assert worker.poll() is None
    finally:
        stop(worker)


def test_a_job_left_started_by_a_killed_rq_worker_is_failed_by_rqs_cleanup_in_the_sweep(
    database: Path, tmp_path: Path, own_redis: tuple[int, list["subprocess.Popen[bytes]"]]
) -> None:
    port, servers = own_redis
    start_redis(port, servers, tmp_path)
    env = base_env(database, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    marker, log = tmp_path / "marker.txt", tmp_path / "worker.log"
    with log.open("a") as out:  # its own session, so the kill takes RQ's forked work horse too
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        enqueue_mark(env, marker, seconds=120)
        assert wait_for(lambda: "start" in text(marker)), text(log)
        assert sweep(env, rerunnable=False, seconds_later=0) == {"rerun": [], "failed": []}
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()

    # RQ's execution expires RQ_JOB_MONITORING_INTERVAL + 60 s after the horse's last beat.
    assert sweep(env, rerunnable=False, seconds_later=75) == {"rerun": [], "failed": [MARK]}
    code = (
        "import django_rq\nfrom rq.registry import FailedJobRegistry, StartedJobRegistry\n"
        "q = django_rq.get_queue('default')\n"
        "print(len(StartedJobRegistry(queue=q)), len(FailedJobRegistry(queue=q)))\n"
    )
    assert django_script(env, code).split() == ["0", "1"]


def test_every_task_is_classified_as_safe_to_rerun_or_not() -> None:
    """A new task must be checked for idempotency and listed in one of the two places in lib/tasks.py."""
    import importlib

    from django.apps import apps
    from django_tasks.base import Task

    from lib.tasks import NOT_RERUNNABLE_TASKS, RERUNNABLE_TASKS

    found = set()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError:
            continue
        found |= {value.module_path for value in vars(module).values() if isinstance(value, Task)}
    found = {path for path in found if not path.startswith(("django_tasks", "tests."))}

    assert found == RERUNNABLE_TASKS | set(NOT_RERUNNABLE_TASKS)
    assert not RERUNNABLE_TASKS & set(NOT_RERUNNABLE_TASKS)


def test_the_abandoned_task_sweep_runs_every_minute() -> None:
    from lib.periodic import JOBS, every_minute

    (job,) = [job for job in JOBS if job.task_path == "lib.tasks.recover_abandoned_tasks"]
    assert job.slot is every_minute


@pytest.mark.django_db
def test_a_starting_worker_enqueues_the_every_minute_sweeps_so_work_left_by_a_kill_resumes_at_once(
    settings: Any,
) -> None:
    from django_tasks import default_task_backend

    from lib.periodic import JOBS, every_minute
    from lib.workers import sweeps_enqueue

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}

    enqueued = sweeps_enqueue()

    expected = [job.task_path for job in JOBS if job.slot is every_minute]
    assert enqueued == expected
    assert "mailings.tasks.dispatch_outbox" in expected and "applicants.tasks.resume_stuck_imports" in expected
    assert [r.task.module_path for r in default_task_backend.results] == expected  # type: ignore[attr-defined]


def test_the_database_worker_runs_the_sweeps_as_soon_as_it_starts(database: Path, tmp_path: Path) -> None:
    """Mail queued before the worker started goes out within seconds, not at the next minute's slot."""
    log = tmp_path / "worker.log"
    env = base_env(database)
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.2"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        assert wait_for(lambda: "path=mailings.tasks.dispatch_outbox state=SUCCESSFUL" in text(log), timeout=30), text(
            log
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
