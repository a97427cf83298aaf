"""Remote attach: serve a crash's debugger over TCP to ``python -m hot_restart attach``.

Why this exists: daemons, containers and cluster workers have no terminal,
so a crash there could never prompt.  With ``HOT_RESTART_REMOTE=[HOST:]PORT``
(or ``install(remote=...)``) such a crash keeps its stack alive, prints one
line to stderr naming the process, the function and the command to attach,
and waits (``HOT_RESTART_REMOTE_TIMEOUT`` seconds, default 600) for a client.
Nobody attached by then: the original exception propagates unchanged.

How it stays safe and bounded:

* The listener binds 127.0.0.1 unless a host is given.  Every session has a
  random token; it is in the attach line and in a file only the user can
  read (``$XDG_RUNTIME_DIR/hot_restart/`` or a 0700 ``hot_restart-UID``
  folder in the temp dir), removed when the session ends.  A client must
  send it first; a wrong one gets one line and the session keeps waiting.
* Ports: ``0`` lets the OS pick one per crash; a given port is a base, and
  the first free port from it on (at most 100 on) is used, so that several
  workers crashing at once each get their own.  The attach line names it.
* One client at a time: while one is attached, another is told so at once
  and closed.  A client that drops (closed terminal, lost network) does not end
  the session: the process waits for the next one, the timeout counted
  afresh.  The wait never spins: it blocks in ``select`` with a deadline.
* While a client is attached, a thread of the session ("pump") owns its
  socket: lines go to the debugger's ``readline``; Ctrl-C at the prompt is
  pdb's ``--KeyboardInterrupt--``, and during a command it raises
  KeyboardInterrupt in the crashed thread (``PyThreadState_SetAsyncExc``:
  that thread is often not the main one, so no signal would reach it), as
  Ctrl-C at a local prompt does.  A Ctrl-C that lands outside a debugger
  command lets the program's exception go rather than replace it.
* During the session, ``sys.stdin``/``stdout``/``stderr`` are the client's
  (so the banner, pdb and hot_restart's own messages reach it), and the
  session's debugger is the one ``debuggers.choose`` picks; IPython's
  line-based debugger stands in for ipdb's terminal one, which needs a tty.

Wire format (both ways): one type byte, a 4-byte big-endian length, a
UTF-8 payload.  Client to server: ``T`` token (first), ``L`` an input line,
``I`` Ctrl-C, ``D`` Ctrl-D.  Server to client: ``K`` accepted (JSON about
the session), ``X`` refused (a message; then closed), ``O`` output, ``R``
"waiting for a line", ``E`` the session ended (a message; then closed).

Nothing here is imported unless remote attach is on; the socket machinery
is imported at the first crash.
"""

from __future__ import annotations

import io
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import queue
    import socket
    from collections.abc import Callable
    from types import FrameType
    from typing import TypeVar

    T = TypeVar("T")

DEFAULT_TIMEOUT = 600.0
PORT_SPAN = 100  # a base port N tries N .. N+99
HANDSHAKE_TIMEOUT = 10.0  # a client that connects must send its token by then
MAGIC_VERSION = 1

# (host, port) from install(remote=...) or HOT_RESTART_REMOTE; None: off.
_config: tuple[str, int] | None = None


class Dropped(BaseException):
    """The attached client went away: wait for the next one (not the user's error)."""


def parse(value: object) -> tuple[str, int]:
    """``[HOST:]PORT`` (an int is a port) as (host, port); ValueError with the words to show."""
    text = str(value).strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host = "127.0.0.1"
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if isinstance(value, bool) or not 0 <= port <= 65535:
        raise ValueError(
            f"hot_restart: remote={text!r} is not [HOST:]PORT; give a port such as 5678 "
            "(0: the OS picks one), or 0.0.0.0:5678 to accept other machines"
        )
    return host, port


def enable(value: object = None) -> None:
    """Turn remote attach on: ``value`` from install(), else HOT_RESTART_REMOTE.

    Registers this module's place in ``STATE.prompt_places``, so that a crash
    stops even with no terminal; a bad environment value is reported once
    and leaves remote attach off (a bad ``install`` argument raises).
    """
    global _config
    if value is None:
        env = os.environ.get("HOT_RESTART_REMOTE", "").strip()
        if not env:
            return
        try:
            _config = parse(env)
        except ValueError as e:
            from .messages import say

            say(
                f"{str(e).removeprefix('hot_restart: ')} (HOT_RESTART_REMOTE; remote attach is off)"
            )
            return
    else:
        _config = parse(value)
    from .state import STATE  # here: state imports this module when the variable is set

    if _place not in STATE.prompt_places:
        STATE.prompt_places.append(_place)
    STATE.forget_terminal()


def disable() -> None:
    """Turn remote attach off (for tests and for ``install(remote=False)``)."""
    from .state import STATE

    global _config
    _config = None
    while _place in STATE.prompt_places:
        STATE.prompt_places.remove(_place)
    STATE.forget_terminal()


def _place() -> bool:
    """``STATE.prompt_places`` entry: a prompt can open while remote attach is on."""
    return _config is not None


def active() -> bool:
    """Crashes are served remotely (asked by the session before prompting)."""
    return _config is not None


def timeout() -> float:
    value = os.environ.get("HOT_RESTART_REMOTE_TIMEOUT", "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
        if seconds >= 0:
            return seconds
    except ValueError:
        pass
    from .messages import say

    say(
        f"HOT_RESTART_REMOTE_TIMEOUT={value!r} is not a number of seconds; "
        f"waiting {DEFAULT_TIMEOUT:.0f} s"
    )
    return DEFAULT_TIMEOUT


def session_dir(create: bool = False) -> str:
    """Where this user's session files live: private to the user, or an OSError."""
    import tempfile

    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime):
        path = os.path.join(runtime, "hot_restart")
    else:
        path = os.path.join(tempfile.gettempdir(), f"hot_restart-{os.getuid()}")
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    info = os.lstat(path)
    import stat

    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(
            f"{path} is not a folder only this user can use (mode {info.st_mode & 0o777:o}); "
            "remove it or set XDG_RUNTIME_DIR"
        )
    return path


def process_name() -> str:
    mp = sys.modules.get("multiprocessing")
    name = ""
    if mp is not None:
        try:
            name = mp.current_process().name
        except Exception:
            name = ""
    if not name or name == "MainProcess":
        name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return name


def serve(exc: BaseException, frame: FrameType, qualname: str, prompt: Callable[[], T]) -> T | None:
    """Run ``prompt`` (the session's debugger loop) for a remote client.

    ``prompt`` returns the session's (target frame or None, call); None for
    the target means the user let the exception go, which the client is told.
    None when nobody attached in time (or the session could not be served):
    the caller lets the exception propagate.
    """
    config = _config
    if config is None:
        return None
    from .messages import say

    try:
        session = _Session(config, exc, frame, qualname)
    except OSError as e:
        say(f"cannot serve this crash for remote attach ({e}); letting the exception propagate")
        return None
    try:
        return session.run(prompt)
    finally:
        session.close()


class _Session:
    def __init__(
        self, config: tuple[str, int], exc: BaseException, frame: FrameType, qualname: str
    ) -> None:
        import secrets

        self.host, base = config
        self.listener = _listen(self.host, base)
        self.port = self.listener.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.conn: socket.socket | None = None
        # The pump thread's, while a client is attached (see _pump).
        import threading

        self.lock = threading.Lock()
        self.in_readline = False
        self.running = False  # the debugger runs (Ctrl-C then interrupts it)
        self.interrupted = False
        self.thread = threading.get_ident()
        self.pump: threading.Thread | None = None
        import queue as queue_module

        self.inbox: queue.SimpleQueue[tuple[bytes, bytes] | None] = queue_module.SimpleQueue()
        self.wake = (-1, -1)
        self.wait = timeout()
        where = f"{frame.f_globals.get('__name__', '?')}.{qualname}"
        shown_host = self.host
        if self.host in ("0.0.0.0", "::", ""):
            import socket as socket_module

            shown_host = socket_module.gethostname()
        self.address = f"{shown_host}:{self.port}"
        self.info = {
            "pid": os.getpid(),
            "name": process_name(),
            "function": where,
            "exception": _short_repr(exc),
            "address": self.address,
            "token": self.token,
        }
        self.file = self._write_file()
        line = (
            f"hot_restart: pid {os.getpid()} ({self.info['name']}) stopped at {where}: "
            f"{self.info['exception']}; attach within {self.wait:.0f} s: "
            f"python -m hot_restart attach {self.address} --token {self.token}"
        )
        _print_err(line)

    def _write_file(self) -> str | None:
        import json
        import time

        self.info["deadline"] = time.time() + self.wait
        try:
            folder = session_dir(create=True)
            path = os.path.join(folder, f"{os.getpid()}-{self.port}.json")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(self.info, f)
            return path
        except OSError as e:
            _print_err(f"hot_restart: no session file ({e}); give --token to attach")
            return None

    def close(self) -> None:
        if self.file is not None:
            try:
                os.unlink(self.file)
            except OSError:
                pass
        self._hang_up()
        self.listener.close()

    def _hang_up(self, message: str | None = None) -> None:
        self._stop_pump()
        conn, self.conn = self.conn, None
        if conn is None:
            return
        if message is not None:
            send_frame(conn, b"E", message)
        try:
            conn.close()
        except OSError:
            pass

    def run(self, prompt: Callable[[], T]) -> T | None:
        while True:
            try:
                if not self._wait_for_client():
                    _print_err(
                        f"hot_restart: no client attached to pid {os.getpid()} at {self.address} "
                        f"within {self.wait:.0f} s; letting the exception propagate"
                    )
                    return None
            except KeyboardInterrupt:
                return None  # Ctrl-C at the process: as `q` at a prompt
            from .state import STATE

            stdin, stdout, stderr = sys.stdin, sys.stdout, sys.stderr
            reader, writer = _Reader(self), _Writer(self)
            sys.stdin, sys.stdout, sys.stderr = reader, writer, writer
            STATE.forget_terminal()
            dropped = False
            result: T | None = None
            with self.lock:
                self.running = True
            try:
                try:
                    result = prompt()
                finally:
                    with self.lock:
                        self.running = False
                    if self.interrupted:  # one that came too late must not fire later
                        _interrupt(self.thread, cancel=True)
            except Dropped:
                dropped = True
            except KeyboardInterrupt:
                # Ctrl-C outside a debugger command (the banner, a reload):
                # let the program's exception go rather than replace it.
                result = None
            finally:
                sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
                STATE.forget_terminal()
            if dropped:
                _print_err(
                    f"hot_restart: the client of pid {os.getpid()} went away; waiting for "
                    f"another at {self.address}"
                )
                self._hang_up()
                continue
            let_go = result is None or (isinstance(result, tuple) and result[0] is None)
            self._hang_up(
                f"the session ended; pid {os.getpid()} "
                + ("lets the exception propagate" if let_go else "re-runs the function")
            )
            return result

    def _wait_for_client(self) -> bool:
        import selectors
        import time

        deadline = time.monotonic() + self.wait
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return False
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    continue
                if self._handshake(conn):
                    return True

    def _handshake(self, conn: socket.socket) -> bool:
        import hmac
        import json

        conn.settimeout(HANDSHAKE_TIMEOUT)
        try:
            kind, payload = read_frame(conn, bytearray())
        except (OSError, ValueError):
            conn.close()
            return False
        if kind != b"T" or not hmac.compare_digest(payload, self.token.encode()):
            send_frame(
                conn,
                b"X",
                f"wrong token for the session of pid {os.getpid()} at {self.address}; copy it "
                "from the attach line, or leave --token out on the same machine to read it "
                "from the session file",
            )
            conn.close()
            return False
        conn.settimeout(None)
        _keepalive(conn)
        self.conn = conn
        public = {k: v for k, v in self.info.items() if k != "token"}
        send_frame(conn, b"K", json.dumps(public))
        self._start_pump(conn)
        return True

    def _start_pump(self, conn: socket.socket) -> None:
        import queue
        import threading

        self.inbox = queue.SimpleQueue()
        self.wake = os.pipe()
        self.pump = threading.Thread(
            target=self._pump, args=(conn, self.wake[0]), name="hot_restart remote", daemon=True
        )
        self.pump.start()

    def _stop_pump(self) -> None:
        pump, self.pump = self.pump, None
        if pump is None:
            return
        os.write(self.wake[1], b"x")
        pump.join(5)
        for fd in self.wake:
            os.close(fd)

    def readline(self) -> str:
        """A line from the client (pdb's input); Dropped when it went away."""
        conn = self.conn
        with self.lock:
            self.in_readline = True
        try:
            if conn is None or not send_frame(conn, b"R", ""):
                raise Dropped
            item = self.inbox.get()
        finally:
            with self.lock:
                self.in_readline = False
        if item is None:
            raise Dropped
        kind, payload = item
        if kind == b"I":
            raise KeyboardInterrupt
        if kind == b"D":
            return ""
        return payload.decode("utf-8", "replace") + "\n"

    def _pump(self, conn: socket.socket, wake: int) -> None:
        """The attached client's frames, read as they come (a thread of its own).

        Lines go to ``readline``.  Ctrl-C while the debugger waits for a line
        goes there too (pdb's ``--KeyboardInterrupt--``); while a command
        runs, it interrupts the command as Ctrl-C at a local prompt does.
        Another client is refused at once, whatever the debugger is doing.
        """
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(conn, selectors.EVENT_READ, "client")
            selector.register(self.listener, selectors.EVENT_READ, "other")
            selector.register(wake, selectors.EVENT_READ, "stop")
            buffer = bytearray()
            while True:
                ready = ["client"] if has_frame(buffer) else [k.data for k, _ in selector.select()]
                if "stop" in ready:
                    return
                if "other" in ready:
                    self._refuse_another()
                if "client" not in ready:
                    continue
                try:
                    kind, payload = read_frame(conn, buffer)
                except (OSError, ValueError):
                    self.inbox.put(None)
                    return
                if kind == b"I":
                    with self.lock:
                        if self.running and not self.in_readline:
                            self.interrupted = True
                            _interrupt(self.thread)
                            continue
                if kind in (b"L", b"I", b"D"):
                    with self.lock:
                        # The debugger has its line: a Ctrl-C from now on is for its command.
                        self.in_readline = False
                        self.inbox.put((kind, payload))

    def _refuse_another(self) -> None:
        try:
            other, _ = self.listener.accept()
        except OSError:
            return
        send_frame(
            other,
            b"X",
            f"another client is attached to the session of pid {os.getpid()} at "
            f"{self.address}; wait until it ends",
        )
        other.close()

    def write(self, text: str) -> None:
        conn = self.conn
        if conn is not None and text and not send_frame(conn, b"O", text):
            self.conn = None  # gone: the next read says so
            try:
                conn.close()
            except OSError:
                pass


def _interrupt(thread: int, cancel: bool = False) -> None:
    """Raise KeyboardInterrupt in ``thread`` (the debugger's) as Ctrl-C would; or cancel it.

    Not a signal: the crashed thread is often not the main one (a pool or
    dask worker thread).  Delivered when that thread next runs Python code.
    """
    try:
        import ctypes
    except ImportError:  # a build without ctypes: Ctrl-C waits for the next prompt
        return
    exc = None if cancel else ctypes.py_object(KeyboardInterrupt)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), exc)


def _keepalive(conn: socket.socket) -> None:
    """A client whose machine or network vanished is noticed in about two minutes."""
    import socket

    conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 6)):
        option = getattr(socket, name, None)
        if option is not None:
            try:
                conn.setsockopt(socket.IPPROTO_TCP, option, value)
            except OSError:
                pass


def _listen(host: str, base: int) -> socket.socket:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    ports = [0] if base == 0 else range(base, min(base + PORT_SPAN, 65536))
    last: OSError | None = None
    for port in ports:
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(4)
            listener.set_inheritable(False)
            return listener
        except OSError as e:
            listener.close()
            last = e
            import errno

            if e.errno != errno.EADDRINUSE:
                raise OSError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    raise OSError(
        f"ports {host}:{base}-{ports[-1]} are all in use"
        if last is not None
        else f"no port to try from {base}"
    )


def send_frame(conn: socket.socket, kind: bytes, text: str) -> bool:
    data = text.encode("utf-8", "replace")
    try:
        conn.sendall(kind + len(data).to_bytes(4, "big") + data)
        return True
    except OSError:
        return False


def read_frame(conn: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """(type, payload) of the next frame, taken from ``buffer`` (filled from ``conn``).

    ValueError when the peer closed.  The buffer is kept by the caller, so an
    interrupted ``recv`` (Ctrl-C at the client) loses nothing.
    """
    while not has_frame(buffer):
        if len(buffer) >= 5 and int.from_bytes(buffer[1:5], "big") > 1 << 20:
            raise ValueError("frame too long")
        chunk = conn.recv(65536)
        if not chunk:
            raise ValueError("closed")
        buffer += chunk
    size = int.from_bytes(buffer[1:5], "big")
    kind, payload = bytes(buffer[:1]), bytes(buffer[5 : 5 + size])
    del buffer[: 5 + size]
    return kind, payload


def has_frame(buffer: bytearray) -> bool:
    return len(buffer) >= 5 and len(buffer) >= 5 + int.from_bytes(buffer[1:5], "big")


def _short_repr(exc: BaseException) -> str:
    try:
        text = repr(exc)
    except Exception:
        text = type(exc).__name__
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _print_err(line: str) -> None:
    """One write for the line and its newline: workers crashing together share a stderr."""
    stream = sys.__stderr__ if sys.stderr is None else sys.stderr
    try:
        if stream is not None:
            stream.write(line + "\n")
            stream.flush()
    except Exception:
        pass


class _Reader(io.TextIOBase):
    """``sys.stdin`` during a remote session: lines typed at the client."""

    def __init__(self, session: _Session) -> None:
        self._session = session

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self._session.readline()

    def read(self, size: int | None = -1) -> str:
        return self._session.readline()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class _Writer(io.TextIOBase):
    """``sys.stdout`` and ``sys.stderr`` during a remote session: to the client."""

    def __init__(self, session: _Session) -> None:
        self._session = session

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._session.write(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"
