"""Hanweb 大汉 (jcms): a column page carries its first records in an embedded `<datastore>`; further
records come from `/module/web/jpage/dataproxy.jsp` (POST, `startrecord`/`endrecord`/`perpage`);
downloads go through `downfile.jsp` with the real name in `showname`."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlparse

from cms import generic
from cms.generic import Follow, Link, Listing

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TOTAL = re.compile(r"(?:<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+))", re.I)
_PERPAGE = re.compile(r"perpage\s*[:=]\s*['\"]?(\d+)", re.I)
_PROXY = re.compile(r"""(/module/web/jpage/dataproxy\.jsp\?[^"'<>\s\]]+)""")


# 大汉 article pages hold the article in the common containers (generic's); they are known by the product's
# own marks, since they carry no list markup.
ARTICLE_MARKERS: list[tuple[str, str, bool]] = []
_MARKS = ("<datastore>", "dataproxy.jsp", "/module/web/jpage/", "unitbuild", "大汉版通", "/module/jslib/",
          "Produced By 大汉网络")


def detect(text: str, url: str) -> bool:
    return any(mark in text for mark in _MARKS)


def records(text: str, url: str) -> list[Link]:
    out = []
    for fragment in _RECORD.findall(text):
        out += generic.report_links(generic.tree(fragment), url)
    return out


def parse_list(text: str, url: str) -> Listing:
    items = records(text, url) or generic.report_links(generic.tree(text), url)
    follow = []
    proxy, total = _PROXY.search(html.unescape(text)), _TOTAL.search(text)
    if proxy and total:
        count = int(total.group(1) or total.group(2))
        perpage = int(_PERPAGE.search(text).group(1)) if _PERPAGE.search(text) else 15
        target = urlparse(urljoin(url, proxy.group(1)))
        form = {k: v[0] for k, v in parse_qs(target.query).items()}
        endpoint = target._replace(query="").geturl()
        start = len(items) + 1
        step = perpage * 3  # jpage asks for three pages at a time
        while start <= count:
            end = min(count, start + step - 1)
            follow.append(Follow(f"{endpoint}?startrecord={start}&endrecord={end}&perpage={perpage}",
                                 method="POST", form={**form, "col": "1", "appid": form.get("appid", "1")}))
            start = end + 1
    listing = Listing(items, follow)
    listing.scripted = generic.scripted(text, listing)
    return listing


def parse_proxy(text: str, url: str) -> Listing:
    """A dataproxy.jsp answer: records only."""
    return Listing(records(text, url), [])


def attachments(text: str, url: str, root=None) -> list[Link]:
    found = [link for link in generic.attachments(text, url, root)]
    seen = {link.url for link in found}
    for a in (root if root is not None else generic.tree(text)).iter("a"):
        href = a.get("href") or ""
        if "downfile.jsp" in href:
            absolute = urljoin(url, html.unescape(href))
            query = parse_qs(urlparse(absolute).query)
            name = (query.get("showname") or query.get("filename") or [generic.link_title(a)])[0]
            if absolute not in seen:
                seen.add(absolute)
                found.append(Link(absolute, name))
    return found
