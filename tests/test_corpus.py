"""Issue 11 acceptance 1: real reports that nobody here wrote (tests/fixtures/real/corpus/, each with its
SOURCE.md and a gold.json transcribed by hand from the document): every printed value exact, every value the
table's sums force filled, and no value that is neither; the provenance lists equal the gold's."""
import json

import pytest

from extract import extract_report
from tests.conftest import REAL

CORPUS = sorted(p.parent for p in (REAL / "corpus").glob("*/gold.json"))
TABLES = ("active_disclosure", "applications", "review_litigation")


def _document(folder):
    """The folder's document, or the fixture its `document` file names (one file is not kept twice)."""
    pointer = folder / "document"
    if pointer.is_file():
        return (folder / pointer.read_text(encoding="utf-8").strip()).resolve()
    return next(p for p in sorted(folder.iterdir()) if p.name not in ("gold.json", "SOURCE.md"))


@pytest.fixture(scope="module", params=CORPUS, ids=[p.name for p in CORPUS])
def pair(request):
    gold = json.loads((request.param / "gold.json").read_text(encoding="utf-8"))
    return gold, extract_report(str(_document(request.param)))


def test_the_corpus_is_there():
    assert len(CORPUS) >= 5
    for folder in CORPUS:
        assert (folder / "SOURCE.md").is_file(), folder.name


def test_every_value_exact(pair):
    gold, report = pair
    assert report["table_format"] == gold["table_format"]
    for table in TABLES:
        assert report[table] == gold[table], table


def test_provenance_equals_the_gold(pair):
    gold, report = pair
    for kind in ("inferred", "blank", "unreadable"):
        assert sorted(report["cells"][kind]) == sorted(gold["cells"][kind]), kind


def test_year_and_agency(pair):
    gold, report = pair
    assert report["year"] == gold["year"]
    assert report["agency"] == gold["agency"]
