"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path | None:
    env = os.environ.get("SOUNDING_SHARED_DATA")
    for candidate in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's public reference data (../shared/data beside the checkout)."""
    path = _shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is not present")
    return path
