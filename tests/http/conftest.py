"""Fixtures for the HTTPS tests: one set of sites and certificates per session."""

from __future__ import annotations

import pytest

from websites import Web, make_web


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Web:
    return make_web(tmp_path_factory.mktemp("web"))
