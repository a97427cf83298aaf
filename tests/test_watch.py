"""Watch-to-continue: saving the crashed function's file continues by itself."""

from __future__ import annotations

import pytest
from scenario import debugger


@pytest.mark.skipif(
    debugger() != "pdb",
    reason="ipdb reads its prompt through prompt_toolkit, which a saved file cannot "
    "interrupt: there `c` is still typed by hand (documented)",
)
def test_saving_the_file_continues_without_typing_c(session):
    s = session("watch", main="app.py", run="main.py")
    assert "app.compute raised ZeroDivisionError" in s.prompt()
    s.fix()  # nothing is typed after this
    out = s.expect(r"result: 20")
    assert "app.py was saved: continuing" in out
    s.finish(0)


def test_typing_still_works_while_watching(session):
    s = session("watch", main="app.py", run="main.py")
    s.prompt()
    s.send("p x")
    assert "4" in s.prompt()
    s.send("q")
    s.finish(1)
