"""Shared paths: fixtures are read in place from ../shared, never copied into the repository."""
from pathlib import Path

import pytest

from nianbao.paths import REAL, ROOT, SEEDS, SHARED  # noqa: F401

PINGTAN = REAL / "pingtan"


def pingtan_page(year: int) -> Path:
    """The Pingtan report page for a report year (the folder names carry the title)."""
    matches = sorted(PINGTAN.glob(f"*/*_平潭综合实验区{year}年*/page.html"))
    assert matches, f"no Pingtan page for {year}"
    return matches[0]


@pytest.fixture(scope="session")
def shared():
    assert SHARED.is_dir(), f"shared fixtures not found at {SHARED}"
    return SHARED
