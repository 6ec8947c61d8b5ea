"""Shared paths: fixtures are read in place from ../shared, never copied into the repository."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(__import__("os").environ.get("NIANBAO_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
REAL = SHARED / "fixtures" / "real"
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
