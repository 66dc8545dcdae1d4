"""Fixtures for the crypto room's tests: the RFC 8448 known-answer vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

_NAME = "rfc8448_simple_1rtt.json"
_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "data" / _NAME,
    Path(__file__).resolve().parents[3] / "shared" / "vectors" / _NAME,
)


@pytest.fixture(scope="session")
def rfc8448_doc() -> dict[str, Any]:
    """The whole RFC 8448 §3 vector file (values, steps, the server's RSA key)."""
    for path in _CANDIDATES:
        if path.is_file():
            doc: dict[str, Any] = json.loads(path.read_text())
            return doc
    raise FileNotFoundError(f"{_NAME} not found in any of {[str(p) for p in _CANDIDATES]}")


@pytest.fixture(scope="session")
def rfc8448(rfc8448_doc: dict[str, Any]) -> dict[str, bytes]:
    """RFC 8448 §3 values by name, as bytes."""
    return {name: bytes.fromhex(value) for name, value in rfc8448_doc["values"].items()}
