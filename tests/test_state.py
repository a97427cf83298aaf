"""Process-wide state read by the trampoline from every thread."""

from __future__ import annotations

import threading

from hot_restart.runtime import state


def test_threads_asking_together_never_get_a_stale_no_terminal(monkeypatch):
    """A thread must not see the new stream key published before its answer."""
    s = state.State()
    first_inside = threading.Event()
    release_first = threading.Event()
    calls = 0

    def slow_isatty(stream: object) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:  # the first thread stops half-way through its answer
            first_inside.set()
            assert release_first.wait(10)
        return True

    monkeypatch.setattr(state, "_isatty", slow_isatty)
    monkeypatch.delenv("HOT_RESTART_FORCE_PROMPT", raising=False)
    answers: list[bool] = []
    first = threading.Thread(target=lambda: answers.append(s.interactive()))
    first.start()
    assert first_inside.wait(10)
    second_answer = s.interactive()  # meanwhile, in this thread
    release_first.set()
    first.join(10)
    assert second_answer is True
    assert answers == [True]
