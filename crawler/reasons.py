"""Why a site gave nothing, in a few words a user can act on, from the detail its row keeps.

A run over a registry of hundreds of columns fails for a handful of reasons (no such host, connection refused,
timed out, TLS, an HTTP status, an anti-bot wall, robots.txt); the summary prints one line per reason with the
sites it concerns, not one line per site.
"""
from __future__ import annotations

import re

# (pattern in the row's detail, the reason), first match wins.
_REASONS = [
    (r"DNSLookupError|DNS lookup failed|no results for hostname|Name or service not known", "DNS: no such host"),
    (r"ConnectionRefused|Connection was refused|refused", "connection refused"),
    (r"TimeoutError|took longer than|timed? ?out|User timeout", "timed out"),
    (r"SSL|TLS|handshake|certificate", "TLS handshake failed"),
    (r"robots\.txt", "robots.txt forbids the column"),
    (r"NoRouteError|No route to host|Network is unreachable|ConnectError|ConnectionLost|ConnectionDone",
     "connection failed"),
]
_HTTP = re.compile(r"HTTP (\d{3})")


def reason(status: str, detail: str, found: int) -> str | None:
    """The reason a site's row gives for a status other than ok with reports; None for a good row."""
    if status == "ok":
        return None if found else "no reports found"
    if status == "blocked":
        return f"blocked ({detail})" if detail else "blocked"
    if status == "forbidden":
        return "robots.txt forbids the column"
    for pattern, said in _REASONS:
        if re.search(pattern, detail or "", re.I):
            return said
    if (m := _HTTP.search(detail or "")):
        return f"HTTP {m.group(1)}"
    return (detail or status)[:120]


def grouped(rows: list[dict]) -> dict[str, list[str]]:
    """reason → the sites it concerns, in the order first met (sites without a reason left out)."""
    out: dict[str, list[str]] = {}
    for row in rows:
        said = reason(row["status"], row.get("detail") or "", row.get("found") or 0)
        if said:
            out.setdefault(said, []).append(row["site"])
    return out
