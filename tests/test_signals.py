"""platform/signals.py: the one way `kkr` commands and the embedded server's start handle SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import pytest

from kkr.platform.signals import SHUTDOWN_SIGNALS, shutdown_signals_deferred, shutdown_signals_handled


def test_a_handler_takes_both_signals_inside_the_block_only() -> None:
    before = [signal.getsignal(s) for s in SHUTDOWN_SIGNALS]
    seen: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    with shutdown_signals_handled(handler):
        assert [signal.getsignal(s) for s in SHUTDOWN_SIGNALS] == [handler, handler]
        signal.raise_signal(signal.SIGTERM)
    assert seen == [signal.SIGTERM]
    assert [signal.getsignal(s) for s in SHUTDOWN_SIGNALS] == before


def test_deferred_signals_reach_the_handler_in_place_once_after_the_block() -> None:
    seen: list[int] = []

    def outer(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    with shutdown_signals_handled(outer):
        with pytest.raises(RuntimeError), shutdown_signals_deferred():
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
            assert seen == []  # held back
            raise RuntimeError("the block failed")  # delivered all the same
        assert seen == [signal.SIGINT, signal.SIGTERM]


def test_other_threads_change_nothing() -> None:
    before = [signal.getsignal(s) for s in SHUTDOWN_SIGNALS]
    during: list[object] = []

    def run() -> None:
        with shutdown_signals_handled(lambda signum, frame: None):
            during.extend(signal.getsignal(s) for s in SHUTDOWN_SIGNALS)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert during == before
