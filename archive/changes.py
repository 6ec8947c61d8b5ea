"""What changed between two versions of a report: table values and sentences of its prose.

Used by the `report.edited_after_publication` check (archive/checks.py) and by the report page, which
shows the same changes a reader can follow: each table value before and after, each sentence removed or
added. A version whose bytes changed but whose text and tables did not (a visit counter, a new
stylesheet) has no changes.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def prose(text: str | None) -> list[str]:
    """The report's prose lines: table rows (tab-separated cells in every extractor's text) left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip() and "\t" not in line]


@functools.lru_cache(maxsize=8192)  # a report is compared with the year before and the year after
def sentences(text: str | None) -> tuple[str, ...]:
    """The prose cut into sentences at 。！？；, spaces removed, each once, in order. Lines are joined first:
    a PDF breaks sentences at its line ends, and a heading (no full stop) joins the sentence after it.
    Fragments under eight characters are not sentences."""
    seen, out = set(), []
    for piece in _SENTENCE_END.split(re.sub(r"\s+", "", "".join(prose(text)))):
        if len(piece) >= 8 and piece not in seen:
            seen.add(piece)
            out.append(piece)
    return tuple(out)


@dataclass
class Changes:
    values: list[tuple[str, str, str, object, object]] = field(default_factory=list)  # table, row, column, old, new
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.values or self.removed or self.added)

    def summary(self) -> str:
        parts = []
        if self.values:
            shown = "; ".join(f"{t} {r} {c}: {_show(a)} → {_show(b)}" for t, r, c, a, b in self.values[:3])
            more = f" and {len(self.values) - 3} more" if len(self.values) > 3 else ""
            parts.append(f"{len(self.values)} table values changed ({shown}{more})")
        if self.removed or self.added:
            parts.append(f"{len(self.removed)} sentences removed, {len(self.added)} added")
        return "; ".join(parts)


def _show(value) -> str:
    return "blank" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def between(old_values: dict, new_values: dict, old_text: str | None, new_text: str | None) -> Changes:
    """`*_values` map (table, row, column) to a value (None for blank), as archive.merge.values gives."""
    changes = Changes()
    for key in sorted(set(old_values) | set(new_values)):
        before, after = old_values.get(key), new_values.get(key)
        if before != after:
            changes.values.append((*key, before, after))
    old, new = sentences(old_text), sentences(new_text)
    old_set, new_set = set(old), set(new)
    changes.removed = [s for s in old if s not in new_set]
    changes.added = [s for s in new if s not in old_set]
    return changes
