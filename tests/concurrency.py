"""Running jobs at the same moment in several threads, each with its own database connection (PostgreSQL)."""

import threading
from collections.abc import Callable, Sequence

from django.db import connections


def run_at_once(jobs: Sequence[Callable[[], object]], workers: int = 8) -> list[BaseException]:
    """Start `workers` threads behind one barrier, each running its share of `jobs`; return what they raised."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    chunks = [jobs[i::workers] for i in range(workers)]

    def worker(chunk: Sequence[Callable[[], object]]) -> None:
        try:
            barrier.wait()
            for job in chunk:
                job()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
