"""The scheduler waits out a lost database or Redis instead of exiting (issue 13, point 3)."""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from lib.resilience import Backoff, run_resiliently

BASE_DIR = Path(__file__).resolve().parent.parent


class Stop(Exception):
    pass


@pytest.mark.django_db  # each tick first drops connections an outage broke
def test_a_tick_that_loses_its_dependencies_is_retried_with_growing_pauses_then_resumes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcomes: list[BaseException | None] = [
        OperationalError("server closed the connection unexpectedly"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        OperationalError("could not connect to server"),
        None,
        None,
    ]
    ticks: list[int] = []
    pauses: list[float] = []

    def tick() -> None:
        ticks.append(1)
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if not outcomes:
            raise Stop

    with caplog.at_level(logging.WARNING, logger="career_relay.resilience"), pytest.raises(Stop):
        run_resiliently(name="scheduler", tick=tick, sleep=sleep, interval=60, backoff=Backoff(first=2, ceiling=60))

    assert len(ticks) == 5
    assert pauses == [2, 4, 8, 60, 60]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "unavailable" in errors[0].getMessage()
    assert any("back after 3 failed tries" in r.getMessage() for r in caplog.records)


def test_the_pause_never_exceeds_its_ceiling() -> None:
    backoff = Backoff(first=2, ceiling=30)

    assert [backoff.next_pause() for _ in range(8)] == [2, 4, 8, 16, 30, 30, 30, 30]


@pytest.mark.django_db
def test_a_programming_error_is_not_mistaken_for_an_outage() -> None:
    def tick() -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run_resiliently(name="scheduler", tick=tick, sleep=lambda _: None, interval=1)


def _wait_for(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return True
        time.sleep(0.2)
    return False


def test_the_real_scheduler_survives_its_database_going_away_and_coming_back(tmp_path: Path) -> None:
    database = tmp_path / "scheduler.sqlite3"
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "scheduler-outage-test",
        "TASK_BACKEND": "",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    log = tmp_path / "scheduler.log"
    with log.open("w") as out:
        scheduler = subprocess.Popen(
            [sys.executable, "manage.py", "scheduler", "--interval", "1"], cwd=BASE_DIR, env=env, stdout=out, stderr=out
        )
    try:
        assert _wait_for(log, "enqueued", 30), log.read_text()
        hidden = tmp_path / "away.sqlite3"
        database.rename(hidden)  # the database is gone: SQLite now opens an empty file without our tables
        assert _wait_for(log, "a dependency is unavailable", 30), log.read_text()
        assert scheduler.poll() is None, "the scheduler exited on the outage"
        database.unlink(missing_ok=True)
        hidden.rename(database)
        assert _wait_for(log, "dependencies are back", 30), log.read_text()
        assert scheduler.poll() is None
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=20)
