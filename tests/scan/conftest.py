"""Certificates for the scanner's tests, made once per session."""

from __future__ import annotations

import pytest

from scan_helpers import Files, make_files


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return make_files(tmp_path_factory.mktemp("scan"))
