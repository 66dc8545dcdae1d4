"""For the HTTPS tests: two sites on disk with their certificates, and a bounded asyncio runner."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import Issued, Pki
from tlsglass.http import Site

BIG = 2 * 1024 * 1024 + 123  # bytes in www/big.bin: larger than every HTTP/2 window


def run(coro: Coroutine[Any, Any, None], limit: float = 30.0) -> None:
    """Run the test in its own loop; fail if it, or a task it left behind, does not end."""

    async def bounded() -> None:
        async with asyncio.timeout(limit):
            await coro
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:
            _, pending = await asyncio.wait(others, timeout=5)
            assert not pending, pending

    asyncio.run(bounded())


@dataclass
class Web:
    pki: Pki
    a: Issued  # a.test, localhost, 127.0.0.1
    b: Issued  # b.test
    root_a: Path
    root_b: Path
    ca_file: Path
    big: bytes

    def sites(self) -> list[Site]:
        return [Site(self.root_a, self.a.certified), Site(self.root_b, self.b.certified)]


def make_web(base: Path) -> Web:
    """A PKI, site A (a.test, localhost, 127.0.0.1) and site B (b.test) under `base`."""
    pki = Pki("tlsglass https test root")
    root_a, root_b = base / "a", base / "b"
    root_a.mkdir()
    root_b.mkdir()
    (root_a / "index.html").write_text("<!doctype html><title>A</title>"
                                       "<link rel=stylesheet href=style.css>"
                                       "<h1 id=site>site A</h1>\n")
    (root_b / "index.html").write_text("<!doctype html><title>B</title><h1 id=site>site B</h1>\n")
    (root_a / "style.css").write_text("h1 { color: green }\n")
    big = os.urandom(BIG)
    (root_a / "big.bin").write_bytes(big)
    ca_file = base / "ca.pem"
    ca_file.write_bytes(pki.pem)
    return Web(pki, pki.issue(["a.test", "localhost", "127.0.0.1"]), pki.issue(["b.test"]),
               root_a, root_b, ca_file, big)
