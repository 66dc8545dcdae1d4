"""Real peers as subprocesses and tlsglass servers in threads, on 127.0.0.1 with free ports.

Everything started here is stopped by the context manager that started it,
whether the test passed or not.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import tlsglass
from tlsglass.io import TLSSocket, wrap_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed (.ci/run installs it)")
    return path


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None,
                  timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"peer exited early with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@dataclass
class Process:
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_output(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            if text in out:
                return out
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; output was:\n{self.output()[-3000:]}")


@contextlib.contextmanager
def run(args: list[str], tmp: Path, name: str = "peer") -> Iterator[Process]:
    """Start a subprocess whose stdout+stderr go to a log file; always stop it."""
    log = tmp / f"{name}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=sink,
                                stderr=subprocess.STDOUT)
        try:
            yield Process(proc, log)
        finally:
            # EOF on stdin lets s_client and gnutls-cli close cleanly (close_notify).
            with contextlib.suppress(OSError):
                if proc.stdin:
                    proc.stdin.close()
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@dataclass
class ThreadServer:
    """A tlsglass server in a thread: runs `handler` on each accepted TLS socket."""

    config: tlsglass.ServerConfig
    handler: Callable[[TLSSocket], None]
    port: int = 0
    errors: list[BaseException] = field(default_factory=list)
    handled: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(20)
            try:
                with wrap_server(sock, self.config) as tls:
                    self.handler(tls)
            except BaseException as exc:
                self.errors.append(exc)
            self.handled += 1

    def __enter__(self) -> ThreadServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(10)


def echo(tls: TLSSocket) -> None:
    while data := tls.recv():
        tls.sendall(data)
