"""What nianbao knows about the CMSs government portals run on: one module per dialect, one registry.

A dialect module carries everything about its CMS: `detect(text, url)`, `parse_list(text, url) -> Listing`
(the column's items and the further list pages, including the data endpoints its script-built lists call),
`attachments(text, url, root)` (how its detail pages link files), and `ARTICLE_MARKERS` (where its detail
pages hold the article, for the HTML reader). `generic` is the fallback and the base the others extend.

The crawler reads columns and detail pages through this registry, and the HTML reader reads the article
markers from it; the package knows nothing of Scrapy or of the extractor, so both can use it. A detail page's
attachments are found by every dialect's rules at once (`attachments`): a page's own CMS decides how it links
files, whatever the list that led to it looked like.
"""
from __future__ import annotations

from cms import generic, gkmlpt, hanweb, trs, vsb
from cms.generic import Follow, Link, Listing

DIALECTS = {"trs": trs, "hanweb": hanweb, "vsb": vsb, "gkmlpt": gkmlpt, "generic": generic}
NAMES = tuple(DIALECTS)


def detect(text: str, url: str) -> str:
    for name in ("gkmlpt", "hanweb", "vsb", "trs"):
        if DIALECTS[name].detect(text, url):
            return name
    return "generic"


def attachments(text: str, url: str, root=None) -> list[Link]:
    """The files a detail page links to, by every dialect's rules (each file once, the first name found)."""
    root = root if root is not None else generic.tree(text)
    found: dict[str, Link] = {}
    for module in DIALECTS.values():
        for link in module.attachments(text, url, root):
            found.setdefault(link.url, link)
    return list(found.values())


# Where the article sits on a detail page, most specific first: (a word the page source must contain, an XPath,
# whether the word is a class that must be a whole class name).
ARTICLE_MARKERS = [marker for module in (trs, vsb, hanweb, gkmlpt, generic) for marker in module.ARTICLE_MARKERS]

__all__ = ["DIALECTS", "NAMES", "ARTICLE_MARKERS", "attachments", "detect", "Follow", "Link", "Listing"]
