"""Fill exactly the cells the table's own printed numbers force, and nothing else.

The tables are sums of non-negative integer counts (extract.schema.equations). A missing cell is forced
when an equation leaves it one value: it is the only unknown of the equation (total minus the printed parts),
or the equation's printed side is 0, so every unknown on the other side is 0. Forcing runs to a fixed point,
so one filled cell can force the next.

A report's own numbers are sometimes wrong, and a broken equation must not force anything: a value that
would come out negative or fractional is not forced, and a forced value that makes another equation false is
taken back, with the equation that forced it left out and the cell left unforced (two equations that would
force it differently mean the printed numbers disagree about it). The same rule applies to every table and
every reader.
"""
from __future__ import annotations

from extract.schema import Equation


def _terms(eq: Equation) -> list[tuple[str, int]]:
    return [(p, 1) for p in eq.left] + [(p, -1) for p in eq.right]


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9


def force(values: dict[str, float | None], equations: list[Equation]) -> dict[str, int]:
    """The forced value of each unknown cell (a path whose value is None) that the equations determine.
    `values` holds every cell's printed value or None; it is not changed."""
    excluded: set[Equation] = set()
    disputed: set[str] = set()
    for _ in range(len(equations) + 1):
        forced, source = _propagate(values, [e for e in equations if e not in excluded], disputed)
        if not forced:
            return {}
        broken = _contradicted(values, forced, equations, excluded)
        if not broken:
            return forced
        excluded |= {source[p] for p in broken}
        disputed |= broken
    return {}


def _propagate(values, equations, disputed) -> tuple[dict[str, int], dict[str, Equation]]:
    known = dict(values)
    forced: dict[str, int] = {}
    source: dict[str, Equation] = {}
    changed = True
    while changed:
        changed = False
        for eq in equations:
            terms = [(p, c) for p, c in _terms(eq) if p in known]
            if len(terms) != len(eq.left) + len(eq.right):
                continue  # a cell of this equation does not exist in the document's tables
            unknown = [(p, c) for p, c in terms if known[p] is None]
            if not unknown or any(p in disputed for p, _ in unknown):
                continue
            printed = sum(c * known[p] for p, c in terms if known[p] is not None)
            if len(unknown) == 1:
                path, coefficient = unknown[0]
                value = -printed / coefficient
                if value < -1e-9 or not _close(value, round(value)):
                    continue
                assigned = {path: int(round(value))}
            elif len({c for _, c in unknown}) == 1 and _close(printed, 0):
                assigned = {p: 0 for p, _ in unknown}  # non-negative unknowns that sum to 0
            else:
                continue
            for path, value in assigned.items():
                known[path] = forced[path] = value
                source[path] = eq
            changed = True
    return forced, source


def _contradicted(values, forced, equations, excluded) -> set[str]:
    """Forced paths that sit in an equation that is false once they are filled in."""
    known = {**values, **forced}
    bad: set[str] = set()
    for eq in equations:
        if eq in excluded:
            continue
        terms = _terms(eq)
        if any(p not in known or known[p] is None for p, _ in terms):
            continue
        if not _close(sum(c * known[p] for p, c in terms), 0):
            bad |= {p for p, _ in terms if p in forced}
    return bad
