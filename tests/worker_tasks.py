"""Tasks that only the worker tests enqueue: each writes what it does to a file the test reads."""

import time
from pathlib import Path

from django_tasks import task


@task()
def mark(*, marker: str, seconds: float = 0.0) -> int:
    """Append `start`, sleep `seconds` on the first run only (a re-run is quick), append `done`."""
    path = Path(marker)
    earlier = path.read_text().count("start") if path.exists() else 0
    with path.open("a") as out:
        out.write("start\n")
    if not earlier:
        time.sleep(seconds)
    with path.open("a") as out:
        out.write("done\n")
    return earlier + 1
