"""Align the rows a document prints to the official row sequence, as a whole.

Matching one label phrase at a time fails on what real reports do: a label wrapped over two rows (above or
below its numbers), a misprinted label (「其他法律行政止公开」), a row left out or added, one （六）其他处理 row
for three. A global alignment (Needleman–Wunsch over row order) places each printed row by its label's fuzzy
score *and* by the rows around it, so a row whose label is poor still lands between its neighbours.

Moves: match one printed row to an official row; match two adjacent printed rows (a wrapped label: at most one
of the two prints values) to one official row; skip a printed row (headers and prose cost nothing, a row with
numbers costs); skip an official row (a row the document lacks; some rows are optional by nature).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from extract.numbers import normalize

_NUMBERING = re.compile(r"[(（]?[一二三四五六七八九十]{1,2}[)）]|[(（]?\d{1,2}[)）]|[一二三四五六七八九十]{1,2}[、.．]|"
                        r"\d{1,2}[、.．,，](?!\d)")
_PUNCTUATION = re.compile(r"[\s\"“”'‘’「」『』《》〈〉()（）\[\]【】、，,。.．:：;；!！?？·/\\|_\-—–]+")


@lru_cache(maxsize=16384)
def clean_label(text: str) -> str:
    """A label without its numbering, brackets, quotes and punctuation: what its words say."""
    return _PUNCTUATION.sub("", _NUMBERING.sub("", normalize(text)))


@lru_cache(maxsize=65536)
def label_score(label: str, key: str) -> float:
    """0–1: how well a printed label names a row whose distinctive words are `key`. A label shorter than the
    key (「其他」 against 「其他处理」) scores by how much of the key it can cover; a label longer than the key
    loses a little for what it says besides (「其他处理」 names 3.6 better than 3.6.3's 「其他」)."""
    if not label or not key:
        return 0.0
    score = fuzz.partial_ratio(key, label) / 100
    if len(label) < len(key):
        return score * (len(label) / len(key)) ** 0.5
    return score * (len(key) / len(label)) ** 0.3


@dataclass
class Printed:
    """A printed row as the aligner sees it."""

    label: str  # cleaned label text
    has_values: bool  # prints something in its value cells (a number, a dash)
    has_cells: bool | None = None  # has value cells, printed or left empty (default: has_values)

    def __post_init__(self):
        if self.has_cells is None:
            self.has_cells = self.has_values


@dataclass
class Official:
    code: str
    keys: list[str]
    skip_cost: float = 0.6  # what leaving this row out costs (optional rows cost little)
    bias: float = 0.0  # added to a match: a row named by words its sub-rows also carry yields to them
    instead_of: int = 0  # this row, when printed, stands for the next n official rows (one （六） for three)


MATCH_BAR = 0.55  # a label scoring below this is placed only when its neighbours say so


def align(printed: list[Printed], official: list[Official]) -> dict[str, list[int]]:
    """Official code → the indexes of the printed rows placed there (one, or two for a wrapped label)."""
    n, m = len(printed), len(official)
    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    move: list[list[tuple | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0

    # What placing a printed row (or two joined) at each official row gains, computed once per label. A row
    # that another official row names clearly better is not placed here unless its neighbours insist.
    def gains(label: str) -> list[float]:
        scores = [_score(label, row) for row in official]
        top = max(scores)
        return [s - MATCH_BAR - (top - s) for s in scores]

    # A row of empty cells is a row whose values are all blank, or the rest of a wrapped label (its cells
    # merged down from the row above): it may be placed alone or joined to a neighbour, as its label says.
    single = [gains(p.label) if p.has_cells else None for p in printed]
    joined = [gains(a.label + b.label) if (a.has_cells or b.has_cells) and not (a.has_values and b.has_values)
              else None for a, b in zip(printed, printed[1:])]

    for i in range(n + 1):
        row_best, row_move = best[i], move[i]
        for j in range(m + 1):
            here = row_best[j]
            if here == neg:
                continue
            if i < n:
                score = here - (0.35 if printed[i].has_values else 0.0)
                if score > best[i + 1][j]:
                    best[i + 1][j], move[i + 1][j] = score, ("skip_printed",)
            if j == m:
                continue
            score = here - official[j].skip_cost
            if score > row_best[j + 1]:
                row_best[j + 1], row_move[j + 1] = score, ("skip_official",)
            after = (j + 1, j + 1 + official[j].instead_of) if official[j].instead_of else (j + 1,)
            one = single[i] if i < n else None
            two = joined[i] if i + 1 < n else None
            for k in after:
                if one is not None:
                    score = here + one[j]
                    if score > best[i + 1][k]:
                        best[i + 1][k], move[i + 1][k] = score, ("match", 1, k - j)
                if two is not None:
                    score = here + two[j] - 0.05
                    if score > best[i + 2][k]:
                        best[i + 2][k], move[i + 2][k] = score, ("match", 2, k - j)
    placed: dict[str, list[int]] = {}
    i, j = n, m
    while i or j:
        how = move[i][j]
        if how[0] == "skip_printed":
            i -= 1
        elif how[0] == "skip_official":
            j -= 1
        else:
            span, step = how[1], how[2]
            placed[official[j - step].code] = list(range(i - span, i))
            i, j = i - span, j - step
    return placed


def _score(label: str, row: Official) -> float:
    return max(label_score(label, key) for key in row.keys) + row.bias
