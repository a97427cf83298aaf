"""``python -m hot_restart attach``: the client of a remote crash session.

Why this exists: a process with no terminal (a daemon, a container, a
cluster worker) run with ``HOT_RESTART_REMOTE`` serves its crash over TCP
(see ``hot_restart.runtime.remote``); this is the terminal for it.  It gives
the debugger's prompt line editing and history (readline), forwards Ctrl-C
(the remote debugger treats it as at a local prompt) and Ctrl-D, and ends
cleanly when the session ends.

``attach`` alone lists the sessions waiting for this user (their files in
the private session folder); ``attach HOST:PORT`` (or ``PORT``, or a pid
from the list) attaches, with the token from ``--token`` or, on the same
machine, from the session file.  Every failure is one line and a non-zero
status: nothing listening, a wrong token, another client attached, a
session that went away.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from typing import Any

from .runtime.remote import read_frame, send_frame, session_dir

CONNECT_TIMEOUT = 10.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hot_restart attach",
        description="Attach to a crash waiting for a debugger client (HOT_RESTART_REMOTE). "
        "Without ADDRESS, list the sessions waiting for this user.",
    )
    parser.add_argument(
        "address", nargs="?", help="HOST:PORT or PORT from the attach line, or a pid from the list"
    )
    parser.add_argument("--token", help="the session's token (default: read its session file)")
    options = parser.parse_args(argv)
    if options.address is None:
        return _list()
    try:
        host, port, token = _resolve(options.address, options.token)
    except LookupError as e:
        _fail(str(e))
        return 2
    return _attach(host, port, token)


def _fail(message: str) -> None:
    print(f"hot_restart attach: {message}", file=sys.stderr, flush=True)


def sessions() -> list[dict[str, Any]]:
    """The sessions waiting for this user, oldest first (stale files removed)."""
    try:
        folder = session_dir()
    except FileNotFoundError:
        return []
    except OSError as e:
        _fail(str(e))
        return []
    found = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path) as f:
                info = json.load(f)
            os.kill(int(info["pid"]), 0)
        except ProcessLookupError:  # its process died without removing it
            try:
                os.unlink(path)
            except OSError:
                pass
            continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append(info)
    found.sort(key=lambda info: info.get("deadline", 0))
    return found


def _list() -> int:
    found = sessions()
    if not found:
        print("no hot_restart session is waiting for this user")
        return 0
    now = time.time()
    for info in found:
        left = max(0, int(info.get("deadline", now) - now))
        print(
            f"pid {info['pid']} ({info.get('name', '?')}) at {info.get('function', '?')}: "
            f"{info.get('exception', '')}; {left} s left\n"
            f"    python -m hot_restart attach {info['address']}"
        )
    return 0


def _resolve(address: str, token: str | None) -> tuple[str, int, str]:
    """(host, port, token) for ``address``; LookupError with the words to show."""
    found = sessions()
    host, sep, port_text = address.rpartition(":")
    host = host.strip("[]")
    if not port_text.isdigit():
        raise LookupError(f"{address!r} is not HOST:PORT, PORT or a pid")
    number = int(port_text)
    match = None
    for info in found:
        their_host, _, their_port = str(info["address"]).rpartition(":")
        if sep and their_port == port_text and their_host in (host, "localhost", "127.0.0.1"):
            match = info
        elif not sep and number in (int(their_port), int(info["pid"])):
            match = info
        if match is not None:
            break
    if match is not None and not sep:
        host, _, port_text = str(match["address"]).rpartition(":")
        number = int(port_text)
    if not sep and match is None:
        host = "127.0.0.1"
    if token is None:
        if match is None:
            raise LookupError(
                f"no session file for {address} here; give --token from the attach line "
                "(`python -m hot_restart attach` lists this user's sessions)"
            )
        token = str(match["token"])
    return host or "127.0.0.1", number, token


def _attach(host: str, port: int, token: str) -> int:
    try:
        conn = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except OSError as e:
        reason = "nothing is listening" if isinstance(e, ConnectionRefusedError) else str(e)
        _fail(f"cannot connect to {host}:{port} ({reason}); the session may have ended")
        return 1
    try:
        return _converse(conn, host, port, token)
    finally:
        conn.close()


def _converse(conn: socket.socket, host: str, port: int, token: str) -> int:
    send_frame(conn, b"T", token)
    buffer = bytearray()
    try:
        kind, payload = read_frame(conn, buffer)
    except TimeoutError:
        _fail(
            f"no answer from {host}:{port} within {CONNECT_TIMEOUT:.0f} s (is another client "
            "attached and running a command?); try again"
        )
        return 1
    except (OSError, ValueError):
        _fail(f"the process at {host}:{port} closed the connection before accepting it")
        return 1
    if kind == b"X":
        _fail(payload.decode("utf-8", "replace"))
        return 2
    if kind != b"K":
        _fail(f"{host}:{port} does not speak hot_restart's protocol")
        return 1
    conn.settimeout(None)
    info = json.loads(payload)
    print(f"hot_restart attach: attached to pid {info['pid']} ({info['name']}) at {host}:{port}")
    _readline()
    held = ""  # output after the last newline: the prompt, when a line is asked for
    while True:
        try:
            kind, payload = read_frame(conn, buffer)
        except KeyboardInterrupt:
            _send(conn, b"I", "")
            continue
        except (OSError, ValueError):
            sys.stdout.write(held)
            _fail(f"the connection to {host}:{port} was lost (the process ended or went away)")
            return 1
        text = payload.decode("utf-8", "replace")
        if kind == b"O":
            text = held + text
            cut = text.rfind("\n") + 1
            sys.stdout.write(text[:cut])
            sys.stdout.flush()
            held = text[cut:]
        elif kind == b"R":
            prompt, held = held, ""
            try:
                line = input(prompt)
            except KeyboardInterrupt:
                print()
                _send(conn, b"I", "")
                continue
            except EOFError:
                print()
                _send(conn, b"D", "")
                continue
            _send(conn, b"L", line)
        elif kind == b"E":
            sys.stdout.write(held)
            print(f"hot_restart attach: {text}")
            return 0
        elif kind == b"X":
            _fail(text)
            return 1


def _send(conn: socket.socket, kind: bytes, text: str) -> None:
    """Send one frame whole; a Ctrl-C meanwhile is forwarded after it.

    A KeyboardInterrupt in the middle of ``sendall`` would leave half a
    frame on the wire (and end the client with a traceback): SIGINT is held
    while the frame goes out, and the interrupt it brings is sent next.
    """
    frames = [(kind, text)]
    while frames:
        try:
            with _sigint_held():
                send_frame(conn, *frames.pop(0))
        except KeyboardInterrupt:
            frames.append((b"I", ""))


class _sigint_held:
    """Block SIGINT for a moment where the platform can (a pending one fires on exit)."""

    def __enter__(self) -> None:
        import signal

        self._blocked = hasattr(signal, "pthread_sigmask")
        if self._blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc: object) -> None:
        if self._blocked:
            import signal

            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _readline() -> None:
    """Line editing and history for input(), where readline exists."""
    try:
        import readline  # noqa: F401
    except ImportError:
        pass
