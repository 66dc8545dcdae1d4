"""Fixtures for the x509 tests: one test PKI per session (see x509_pki.py)."""

from __future__ import annotations

import pytest

from x509_pki import Pki, build_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return build_pki(tmp_path_factory.mktemp("pki"))
