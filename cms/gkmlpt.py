"""Guangdong 政务公开目录 (gkmlpt): the column page `/gkmlpt/index#<column>` is a script shell; its
articles come from `/gkmlpt/api/all/<column>?page=<n>&sid=<SID>` as JSON (`total`, `articles` with
`title`, `url` or `post_url`, `create_time`)."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from urllib.parse import urljoin, urlparse

from cms import generic
from cms.generic import Follow, Link, Listing

_SID = re.compile(r"""SID\s*[:=]\s*['"]?(\d+)""")
ARTICLE_MARKERS: list[tuple[str, str, bool]] = []  # its detail pages are ordinary article pages (generic's)


def detect(text: str, url: str) -> bool:
    return "/gkmlpt/" in url or "gkmlpt" in text[:20000]


def api_url(url: str, column: str, sid: str, page: int) -> str:
    root = url.split("/gkmlpt/")[0]
    return f"{root}/gkmlpt/api/all/{column}?page={page}&sid={sid}"


def parse_list(text: str, url: str) -> Listing:
    """The column page: the first API page to read (the column is the URL's fragment)."""
    column = urlparse(url).fragment
    sid = _SID.search(text)
    if "/gkmlpt/api/" in url:
        return parse_api(text, url)
    if not column or not sid:
        return generic.parse_list(text, url)
    return Listing([], [Follow(api_url(url, column, sid.group(1), 1))])


def parse_api(text: str, url: str) -> Listing:
    try:
        data = json.loads(text)
    except ValueError:
        return Listing()
    articles = data.get("articles") or []
    items = []
    for article in articles:
        link = article.get("post_url") or article.get("url")
        if not link or not article.get("title"):
            continue
        stamp = article.get("create_time") or article.get("first_publish_time")
        date = (datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d")
                if isinstance(stamp, (int, float)) else None)
        items.append(Link(urljoin(url, link), article["title"], date))
    follow = []
    page = int(re.search(r"[?&]page=(\d+)", url).group(1)) if re.search(r"[?&]page=(\d+)", url) else 1
    total = int(data.get("total") or 0)
    if page == 1 and articles and total > len(articles):
        last = math.ceil(total / len(articles))
        follow = [Follow(re.sub(r"([?&]page=)\d+", rf"\g<1>{n}", url)) for n in range(2, last + 1)]
    return Listing(items, follow)


def attachments(text: str, url: str, root=None) -> list[Link]:
    return generic.attachments(text, url, root)
