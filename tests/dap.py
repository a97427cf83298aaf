"""A small Debug Adapter Protocol client: what VS Code says to debugpy.

DAP messages are JSON bodies behind a ``Content-Length`` header.  The
client talks to the real adapter (``python -m debugpy.adapter`` over its
stdin/stdout, as VS Code runs it for a "launch" configuration) or to a
socket on 127.0.0.1 (an "attach" configuration); a reader thread puts every
message on a queue so that each wait is bounded.
"""

from __future__ import annotations

import itertools
import json
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

WAIT = 20.0  # seconds for any one answer; a debugpy start-up takes ~1 s


class DAPError(AssertionError):
    pass


class Client:
    """Requests with bounded waits for their responses and for events."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO, close: Callable[[], None]) -> None:
        self._reader = reader
        self._writer = writer
        self._close = close
        self._seq = itertools.count(1)
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._pending: list[dict[str, Any]] = []
        self.output: list[str] = []  # "output" events' text, in order
        # The same by category ("stdout", "stderr"): the two pipes are read
        # apart, so their interleaving varies from run to run.
        self.streams: dict[str, list[str]] = {}
        self.transcript: list[str] = []  # one line per message, for failure reports
        self._thread = threading.Thread(target=self._read_all, daemon=True)
        self._thread.start()

    @classmethod
    def adapter(cls) -> Client:
        """Start debugpy's adapter speaking DAP on its stdio, as VS Code does."""
        process = subprocess.Popen(
            [sys.executable, "-m", "debugpy.adapter"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None

        def close() -> None:
            for stream in (process.stdin, process.stdout):
                try:
                    stream.close()  # type: ignore[union-attr]
                except OSError:
                    pass
            process.kill()
            process.wait(5)

        return cls(process.stdout, process.stdin, close)

    @classmethod
    def connect(cls, port: int, deadline: float = WAIT) -> Client:
        """Connect to an adapter listening on 127.0.0.1 (``debugpy --listen``)."""
        end = time.monotonic() + deadline
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)  # polling a port that is not open yet
        sock.settimeout(None)
        stream = sock.makefile("rwb", buffering=0)

        def close() -> None:
            stream.close()
            sock.close()

        return cls(stream, stream, close)  # type: ignore[arg-type]

    def close(self) -> None:
        self._close()

    def _read_all(self) -> None:
        try:
            while True:
                length = None
                while True:
                    line = self._reader.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length is None:
                    continue
                body = b""
                while len(body) < length:
                    chunk = self._reader.read(length - len(body))
                    if not chunk:
                        return
                    body += chunk
                self._messages.put(json.loads(body))
        except (OSError, ValueError):
            return
        finally:
            self._messages.put(None)

    def send(self, command: str, **arguments: Any) -> int:
        seq = next(self._seq)
        message = {"seq": seq, "type": "request", "command": command, "arguments": arguments}
        body = json.dumps(message).encode()
        self._writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self._writer.flush()
        self.transcript.append(f"-> {command} {arguments}")
        return seq

    def _next(self, end: float) -> dict[str, Any]:
        left = end - time.monotonic()
        if left <= 0:
            raise queue.Empty
        message = self._messages.get(timeout=left)
        if message is None:
            self._messages.put(None)  # stays closed for the next wait
            raise DAPError("the adapter closed the connection\n" + self.report())
        summary = message.get("command") or message.get("event")
        self.transcript.append(f"<- {message['type']} {summary} {message.get('body', '')}"[:400])
        if message.get("event") == "output":
            body = message["body"]
            self.output.append(body.get("output", ""))
            self.streams.setdefault(body.get("category", ""), []).append(body.get("output", ""))
        if message["type"] == "request":  # reverse requests (runInTerminal): decline
            self._answer_reverse(message)
        return message

    def _answer_reverse(self, request: dict[str, Any]) -> None:
        body = json.dumps(
            {
                "seq": next(self._seq),
                "type": "response",
                "request_seq": request["seq"],
                "command": request["command"],
                "success": False,
                "message": "not supported by the test client",
            }
        ).encode()
        self._writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self._writer.flush()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], what: str, timeout: float = WAIT
    ) -> dict[str, Any]:
        """The first message (seen before or arriving within ``timeout``) that matches."""
        for i, message in enumerate(self._pending):
            if match(message):
                del self._pending[i]
                return message
        end = time.monotonic() + timeout
        while True:
            try:
                message = self._next(end)
            except queue.Empty:
                raise DAPError(f"no {what} within {timeout} s\n" + self.report()) from None
            if match(message):
                return message
            self._pending.append(message)

    def event(self, name: str, timeout: float = WAIT) -> dict[str, Any]:
        return self.wait_for(
            lambda m: m["type"] == "event" and m["event"] == name, f"{name!r} event", timeout
        )

    def response(self, seq: int, timeout: float = WAIT) -> dict[str, Any]:
        return self.wait_for(
            lambda m: m["type"] == "response" and m["request_seq"] == seq,
            f"response to request {seq}",
            timeout,
        )

    def request(self, command: str, timeout: float = WAIT, **arguments: Any) -> dict[str, Any]:
        """Send, wait for the response, fail on an error response; its body."""
        response = self.response(self.send(command, **arguments), timeout)
        if not response.get("success"):
            raise DAPError(f"{command} failed: {response.get('message')}\n" + self.report())
        body: dict[str, Any] = response.get("body") or {}
        return body

    def stream(self, category: str) -> str:
        """What the program wrote to ``category`` ("stdout", "stderr") so far."""
        return "".join(self.streams.get(category, []))

    def report(self) -> str:
        return "\n".join(self.transcript[-60:]) + "\n--- output ---\n" + "".join(self.output)
