"""Helpers the test suites share (imported by tests only)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connections


def run_together(count: int, work) -> list:
    """work(i) for i in 0..count-1, in `count` threads released together by a barrier, so
    that they really race; each thread closes its own database connections. Returns the
    results in order of i (an exception in a thread is raised here)."""
    barrier = threading.Barrier(count)

    def worker(i: int):
        try:
            barrier.wait()
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))
