"""The servers a benchmark started, stopped however it ends: by its own `finally`, at exit,
or on SIGTERM (`servers_stopped_on_exit`)."""

import atexit
import contextlib
import signal
from typing import Protocol


class Server(Protocol):
    def stop(self) -> None: ...


RUNNING: list[Server] = []


def stop_everything(*_args) -> None:
    """Stop every server still running (each removes itself from RUNNING as it stops)."""
    for server in list(RUNNING):
        with contextlib.suppress(Exception):
            server.stop()


def _on_signal(signum, _frame) -> None:
    stop_everything()
    raise SystemExit(128 + signum)


def servers_stopped_on_exit() -> None:
    """Have every server stopped at interpreter exit and on SIGTERM."""
    signal.signal(signal.SIGTERM, _on_signal)
    atexit.register(stop_everything)
