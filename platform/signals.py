"""SIGINT and SIGTERM handled for the length of a block (`kkr` commands, the embedded server's start)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

#: The signals that end a `kkr` process gracefully.
SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def shutdown_signals_handled(handler: Handler) -> Iterator[None]:
    """`handler` takes SIGINT and SIGTERM inside the block; the handlers before it are back afterwards.

    Signals are the main thread's: in any other thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in SHUTDOWN_SIGNALS}
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)


@contextlib.contextmanager
def shutdown_signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back inside the block, then deliver them (once each) to the handlers in place."""
    received: list[int] = []
    try:
        with shutdown_signals_handled(lambda signum, frame: received.append(signum)):
            yield
    finally:
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)
