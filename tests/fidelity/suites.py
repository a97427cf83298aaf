"""The third-party suites the fidelity harness runs, pinned.

Each is a well-known pure-Python library whose sdist ships its tests, chosen
so that together they exercise what instrumentation could get wrong:

* pyparsing: exceptions as control flow (every failed alternative raises
  ``ParseException``), deep recursion, packrat caches holding exceptions.
* toolz: a module that emits ``DeprecationWarning`` at import
  (``toolz.compatibility``, ``stacklevel=2``) and a test that ``importlib.reload``s
  it; curried functions, ``inspect.signature`` over instrumented code.
* click: decorators that inspect and wrap callbacks, ``DeprecationWarning`` from
  module ``__getattr__``, context managers, ``sys.exit`` through user code.
* more-itertools: generators and iterator protocol everywhere, ``StopIteration``
  as control flow, ``__qualname__``/``__doc__``-sensitive tests.
* Jinja2: compiles templates to Python and rewrites the tracebacks of errors
  raised in them (``jinja2.debug`` walks ``tb_frame``/``tb_next`` and
  rebuilds code objects), async rendering under asyncio and trio.
* attrs: generates ``__init__``/``__eq__``/... with ``exec`` and linecache,
  reads annotations and signatures of user callables, ``__closure__`` cells
  for ``super()``, slotted classes rebuilt from the original.
* boltons: frame and traceback utilities (``tbutils``), ``funcutils`` that
  inspect and rebuild functions, caches and iterutils over generators.
* tenacity: retrying decorators, exceptions as control flow through
  ``sync`` and ``async`` wrappers, ``inspect`` of the wrapped callable.
* structlog: processor chains that catch and format exceptions
  (``exc_info``, tracebacks rendered from frames), caller lookup through
  ``sys._getframe``, async loggers under pytest-asyncio (``asyncio_mode =
  "auto"`` in its own configuration).
* decorator: signature-preserving wrappers compiled with ``exec`` from
  generated source, decorated generators and coroutines, ``dispatch_on``
  over MROs, and its documentation run as doctests (``tests/documentation.py``).

``patterns`` are what ``python -m hot_restart -p`` gets; ``path`` is put on
``PYTHONPATH`` (the package is used from the unpacked sdist, not installed),
``deps`` are installed (pinned) into the suite's own venv with pytest.
``expected_different`` maps a test id to the written diagnosis of a real
hot_restart bug that makes it differ (only while that bug is not fixed).
``documented_stops`` maps a test id (passing plain) to why it stops where a
prompt is possible: the exception's catcher is a catch-all outside the
instrumented package (the test's own ``except Exception``, doctest, a
framework), or nobody waits yet for the task that raised it, which README's
"When it stops" says stops. Never a bug's symptom, nor one of README's
limits (C code that might swallow): those are reported, not pinned.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Suite:
    name: str  # the distribution name on the package index
    version: str
    package: str  # the top-level import name
    tests: tuple[str, ...]  # pytest arguments, relative to the unpacked sdist
    path: str = "."  # relative folder holding ``package``
    deps: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    expected_different: dict[str, str] = field(default_factory=dict)
    documented_stops: dict[str, str] = field(default_factory=dict)

    @property
    def patterns(self) -> tuple[str, ...]:
        return (f"{self.package}.*",)

    @property
    def dirname(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}"


PYTEST = "pytest==8.3.5"

# Why a passing test may stop where a prompt is possible: README's "When it stops".
CATCH_ALL = (
    "caught by a catch-all outside the instrumented package (README: 'If it is a catch-all "
    "outside your code (bare except, except Exception: a framework, a test runner, ...) or "
    "nothing will catch it, the debugger opens at the crash site')"
)
NOBODY_WAITS = (
    "raised in a task or a pool's worker whose result nobody waits for yet (README: 'It stops "
    "at the crash site, as for any catch-all outside your code, when nobody waits yet')"
)

SUITES = (
    Suite(
        "pyparsing",
        "3.2.3",
        "pyparsing",
        ("tests",),
        deps=("railroad-diagrams==3.0.1", "jinja2==3.1.6"),
        # test_unit runs its ~300 tests once per packrat/left-recursion setting: keep
        # without packrat, with packrat (cached exceptions re-raised) and LR1; leave out the
        # other four repetitions and the two slowest tests (~7 s each, pure computation).
        pytest_args=(
            "-k",
            "not Test06_ and not Test08_ and not Test09_ and not Test10_ "
            "and not test_select_parser and not test_make_compressed_re_random",
        ),
        documented_stops={  # the test's own `except Exception` catches
            f"tests.test_unit.{c}::{test}": CATCH_ALL
            for c in ("Test02_WithoutPackrat", "Test04_WithPackrat")
            for test in (
                "testExceptionExplainVariations",
                "testLiteralException",
                "testParseKeyword",
                "testTraceParseActionDecorator_with_exception",
                "testTrimArityExceptionMasking",
                "testTrimArityExceptionMaskingTest2",
            )
        },
    ),
    Suite(
        "toolz",
        "1.0.0",
        "toolz",
        # toolz.curried's modules define no function, so they bind no handler:
        # test_curried_namespace/test_curried_operator, which walk vars(module), agree.
        ("toolz/tests",),
    ),
    # test_echo_via_pager runs the real `less`/`cat` and is flaky in plain runs here
    # (3-5 of its 60 cases fail at random, with or without hot_restart): left out.
    Suite(
        "click",
        "8.2.1",
        "click",
        ("tests",),
        path="src",
        pytest_args=("-k", "not test_echo_via_pager"),
    ),
    # test_primes alone takes 20 s (a sieve up to 10**6, no exceptions): left out.
    Suite(
        "more-itertools",
        "10.7.0",
        "more_itertools",
        ("tests",),
        pytest_args=("-k", "not test_primes"),
        # callback_iter's callback raises AbortThread in the executor's thread; the
        # reader polls done() and calls result() only after.
        documented_stops={"tests.test_more.CallbackIterTests::test_abort": NOBODY_WAITS},
    ),
    # test_converters.py::TestPipe::test_wrapped_annotation fails here on 3.11, plain
    # and instrumented alike. attrs== pins the copy in site-packages that hypothesis
    # requires to the sdist's version (the sdist's, first on the path, is the one used).
    Suite(
        "attrs",
        "25.3.0",
        "attr",
        ("tests",),
        path="src",
        deps=("hypothesis==6.170.17", "attrs==25.3.0"),
    ),
    Suite(
        "Jinja2",
        "3.1.6",
        "jinja2",
        ("tests",),
        path="src",
        deps=("trio==0.30.0",),
        # render_async under asyncio.run / trio.run: the task's error is collected by
        # run_until_complete after the loop stops, or by trio's scheduler.
        documented_stops={
            f"tests.test_async.{t}": NOBODY_WAITS
            for t in (
                "TestAsyncForLoop::test_loop_errors[asyncio]",
                "TestAsyncForLoop::test_loop_errors[trio]",
                "TestAsyncForLoop::test_noniter",
                "TestAsyncIncludes::test_choice_includes",
                "TestAsyncIncludes::test_include_ignoring_missing",
            )
        },
    ),
    Suite("boltons", "25.0.0", "boltons", ("tests",)),
    Suite(
        "tenacity",
        "9.1.2",
        "tenacity",
        ("tests",),
        deps=("tornado==6.5.1", "typeguard==4.4.4"),
        documented_stops={
            # the test's own `except Exception:`
            "tests.test_tenacity.TestStatistics::test_stats_failing": CATCH_ALL,
            "tests.test_issue_478.TestIssue478::test_issue": CATCH_ALL,
            "tests.test_issue_478.TestIssue478::test_async": CATCH_ALL,
            # tornado's gen.Runner, which drives the coroutine, catches everything
            "tests.test_tornado.TestTornado::test_stop_after_attempt": CATCH_ALL,
        },
    ),
    # tests/test_packaging.py reads the installed distribution's metadata: the
    # package is used from the unpacked sdist, not installed, so it is left out.
    # pytest-asyncio is in the one venv every suite shares, so every run loads it
    # (strict mode by default: it only takes over tests marked for it).
    Suite(
        "structlog",
        "25.4.0",
        "structlog",
        ("tests",),
        path="src",
        deps=("pytest-asyncio==0.26.0", "pretend==1.0.9", "simplejson==3.20.1", "freezegun==1.5.1"),
        pytest_args=("--deselect", "tests/test_packaging.py"),
    ),
    Suite(
        "decorator",
        "5.2.1",
        "decorator",
        ("tests/test.py", "tests/documentation.py"),
        path="src",
        # doctest runs each example under a bare `except:`
        documented_stops={"tests.test.DocumentationTestCase::test": CATCH_ALL},
    ),
)
