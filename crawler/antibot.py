"""Anti-bot walls: recognised, reported, never archived as documents.

Portals put 瑞数 (Riversecurity) in front: the first answer is HTTP 412 with its cookies and an
obfuscated script that a browser must run. Others answer 200 with a JavaScript challenge page (acw_sc__v2,
__jsl_clearance, "请开启JavaScript") or bounce between a URL and itself while setting cookies.
"""
from __future__ import annotations

import re

_RUISHU_COOKIE = re.compile(r"^[A-Za-z0-9]{10,24}(S|T|P|O)=", re.M)
_CHALLENGE = re.compile(
    rb"\$_ts\s*=|acw_sc__v2|__jsl_clearance|_\$\w{2}\s*=|window\.\$_ts|FSSBBIl1UgzbN7N|"
    rb"\xe8\xaf\xb7\xe5\xbc\x80\xe5\x90\xaf\s*JavaScript|"  # 请开启JavaScript
    rb"\xe5\xae\x89\xe5\x85\xa8\xe9\xaa\x8c\xe8\xaf\x81|"  # 安全验证
    rb"challenge-platform|cf-browser-verification|document\.cookie\s*=.{0,200}location\.(reload|href)",
    re.I | re.S)


# Cheap substring screens (in C) before the regular expression: almost no page has any of them.
_MARKS = (b"$_ts", b"acw_sc__v2", b"__jsl_clearance", b"_$", b"FSSBBIl1UgzbN7N", "请开启".encode(), "安全验证".encode(),
          b"challenge", b"document.cookie")


def wall(status: int, headers: dict[str, str], body: bytes, redirects: list[str] | None = None) -> str | None:
    """Why this response is an anti-bot wall, or None."""
    cookies = headers.get("set-cookie", "")
    if status == 412:
        kind = "瑞数" if _RUISHU_COOKIE.search(cookies) or b"$_ts" in body[:20000] else "unknown"
        return f"HTTP 412 anti-bot wall ({kind})"
    if redirects and len(redirects) != len(set(redirects)):
        return "cookie/redirect loop"
    head = body[:30000]
    if len(body) < 30000 and any(mark in head for mark in _MARKS) and _CHALLENGE.search(head):
        text_chars = len(re.sub(rb"<script.*?</script>|<[^>]+>|\s", b"", body[:30000], flags=re.S))
        if text_chars < 400:
            return "JavaScript challenge page"
    return None
