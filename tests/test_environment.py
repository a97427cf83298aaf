"""Settings read from the environment apply when they change, and only then."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hot_restart.runtime import environment
from hot_restart.runtime.state import STATE


@pytest.fixture
def saved_state() -> Iterator[None]:
    kept = STATE.watch, STATE.forced_stop_on, dict(environment._seen)
    yield
    STATE.watch, STATE.forced_stop_on = kept[0], kept[1]
    environment._seen.clear()
    environment._seen.update(kept[2])
    STATE.settings_changed()


def test_an_unchanged_environment_keeps_what_install_chose(
    saved_state: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOT_RESTART_WATCH", "1")
    environment.refresh()
    assert STATE.watch is True
    STATE.watch = False  # install(watch=False)
    environment.refresh()
    assert STATE.watch is False
    environment.refresh()  # the same value as last seen: still install's choice
    assert STATE.watch is False


def test_a_changed_stop_on_applies_and_empties_the_decision_cache(
    saved_state: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOT_RESTART_STOP_ON", "all")
    STATE.fast_propagate[1] = (ValueError,)
    environment.refresh()
    assert STATE.forced_stop_on == "all"
    assert not STATE.fast_propagate
    monkeypatch.setenv("HOT_RESTART_STOP_ON", "")
    environment.refresh()
    assert STATE.forced_stop_on is None


def test_a_changed_force_prompt_asks_again(
    saved_state: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOT_RESTART_FORCE_PROMPT", "0")
    environment.refresh()
    STATE.interactive()
    before = STATE._tty
    monkeypatch.setenv("HOT_RESTART_FORCE_PROMPT", "1")
    environment.refresh()
    assert STATE._tty is not before
    assert STATE.interactive() is True
    monkeypatch.delenv("HOT_RESTART_FORCE_PROMPT")
    environment.refresh()
    STATE.forget_terminal()
