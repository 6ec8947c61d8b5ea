"""One module per CMS dialect: how its 年报 column lists reports, pages on, and links attachments.

Each module offers `detect(text, url)`, `parse_list(text, url) -> Listing` and `attachments(text, url)`;
`generic` is the fallback and the base the others extend. A site names its dialect in the registry
(`cms`) or it is detected from the column page itself.
"""
from __future__ import annotations

from crawler.dialects import generic, gkmlpt, hanweb, trs, vsb
from crawler.dialects.generic import Follow, Link, Listing

DIALECTS = {"trs": trs, "hanweb": hanweb, "vsb": vsb, "gkmlpt": gkmlpt, "generic": generic}


def detect(text: str, url: str) -> str:
    for name in ("gkmlpt", "hanweb", "vsb", "trs"):
        if DIALECTS[name].detect(text, url):
            return name
    return "generic"


__all__ = ["DIALECTS", "detect", "Follow", "Link", "Listing"]
