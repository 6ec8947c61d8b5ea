"""The spider: one per site, its dialect from the registry or from the column page.

List pages are read every run. An item is classified by its link title with the extractor's own
classifier (a 指南, 预算 or 工作要点 is skipped unread); a report page is classified again by its title and
text, keyed by the agency and year its own title gives (so another agency's report listed in the column is
kept under that agency, and a 图片版 and a 全文版 of one report are one report with several files), and
its attachments and, when its tables are pictures, its pictures are fetched with it.
"""
from __future__ import annotations

import re
from email.message import Message
from urllib.parse import unquote, urlparse

import scrapy

from crawler.dialects import DIALECTS, detect, hanweb
from crawler.dialects.generic import FILE_TYPES, Link, best_name, file_name_from_url, tree
from extract import metadata
from extract.encoding import decode

_FILE = re.compile(r"\.(" + "|".join(FILE_TYPES) + r")$", re.I)
# The extractor's non-report words, and any 方案 (a link so titled is not worth fetching).
_NOT_REPORT = re.compile(metadata.NOT_REPORT.pattern + "|方案")


def names_a_report(title: str, text: str = "") -> bool:
    """An annual report by its title (and text), which names the year: a column's own page
    ("政府信息公开年报") does not."""
    clean = metadata.clean_title(title)
    return metadata.is_annual_report(clean, text) and metadata.report_year(clean, "") is not None


def classify_title(title: str) -> str:
    """'report', 'not' (skip unread) or 'maybe' (decide from the page)."""
    if names_a_report(title):
        return "report"
    if _NOT_REPORT.search(metadata.clean_title(title)):
        return "not"
    return "maybe"


def _file_name(response, fallback: str) -> str:
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        raw = disposition.decode("latin-1")
        message = Message()
        message["content-disposition"] = raw
        name = message.get_filename()
        if name:
            try:  # servers send GBK or UTF-8 bytes as latin-1
                name = name.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                try:
                    name = name.encode("latin-1").decode("gb18030")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    pass
            return unquote(name)
    return fallback


class ReportSpider(scrapy.Spider):
    name = "reports"
    handle_httpstatus_list = [304]

    def __init__(self, site, store, run_id: int, warc_path: str, **kwargs):
        super().__init__(name=f"reports-{site.name}", **kwargs)
        self.site, self.store, self.run_id, self.warc_path = site, store, run_id, warc_path
        self.allowed_domains = site.allowed_domains
        self.dialect = site.cms
        self.seen: set[str] = set()
        self.followed: set[tuple] = set()
        self.blocked: str | None = None
        self.pages = self.errors = 0
        self.failed = 0  # report pages and files that could not be fetched or read
        self.reports: set[str] = set()
        self.skipped: list[str] = []
        self.refused: list[str] = []  # redirects refused by crawler.guard, with their reasons

    async def start(self):
        for url in self.site.start_urls:
            yield scrapy.Request(url, callback=self.parse_list, meta={"kind": "list", "column": True},
                                 dont_filter=True)

    def outcome(self) -> dict:
        """This site's figures for the run's summary (crawler.store.Store.finish_run)."""
        if self.blocked:
            status = "blocked"
        else:
            status = "ok" if self.pages and self.pages > self.errors else "unreachable"
        detail = self.blocked or "; ".join(dict.fromkeys(self.refused))[:500]
        return {"site": self.site.name, "status": status, "detail": detail, "dialect": self.dialect,
                "pages": self.pages, "found": len(self.reports), "failed": self.failed, "skipped": len(self.skipped)}

    # --- pages ----------------------------------------------------------------------------------

    def text_of(self, response) -> str:
        body = self.body_of(response)
        if self.site.encoding:
            return body.decode(self.site.encoding, errors="replace")
        return decode(body, response.headers.get("Content-Type", b"").decode("latin-1"))[0]

    def body_of(self, response) -> bytes:
        if response.meta.get("unchanged"):
            return self.store.read(response.meta["sha256"])
        return response.body

    def parse_list(self, response):
        if response.status != 200:
            return
        text = self.text_of(response)
        # The request's URL keeps its fragment (gkmlpt names the column there); the response's does not.
        url = response.request.url if "#" in response.request.url else response.url
        if self.dialect is None:
            self.dialect = detect(text, url)
            self.logger.info("%s: dialect %s", self.site.name, self.dialect)
        module = DIALECTS[self.dialect]
        if "dataproxy.jsp" in url:
            listing = hanweb.parse_proxy(text, url)
        else:
            listing = module.parse_list(text, url)
        new = [item for item in listing.items if item.url not in self.seen]
        for item in new:
            self.seen.add(item.url)
            yield from self.follow_item(item)
        if new or response.meta.get("column"):  # a page that adds nothing new ends the paging
            # Every TRS page announces the whole column again: a set is cheaper than Scrapy's dupefilter.
            follows = [f for f in listing.follow if (f.url, f.method, str(f.form)) not in self.followed]
            self.followed.update((f.url, f.method, str(f.form)) for f in follows)
            for follow in follows:
                meta = {"kind": "list"}
                if follow.method == "POST":
                    yield scrapy.FormRequest(follow.url, formdata=follow.form or {}, callback=self.parse_list,
                                             meta=meta, headers=follow.headers)
                else:
                    yield scrapy.Request(follow.url, callback=self.parse_list, meta=meta, headers=follow.headers)

    def follow_item(self, item):
        verdict = classify_title(item.title)
        if verdict == "not":
            self.skipped.append(item.title)
            return
        meta = {"title": item.title, "date": item.date}
        if _FILE.search(urlparse(item.url).path):
            meta.update(kind="file", role="file", file_name=best_name(item.title, item.url), parent=None,
                        report=self.identify(item.title, ""))
            yield scrapy.Request(item.url, callback=self.parse_file, meta=meta)
        else:
            yield scrapy.Request(item.url, callback=self.parse_page, meta={**meta, "kind": "page"})

    def identify(self, title: str, text: str) -> dict:
        clean = metadata.clean_title(title)
        agency = metadata.agency_from_title(clean) or self.site.agency
        year = metadata.report_year(clean, text)
        key = f"{agency}|{year}" if year else None
        return {"title": clean, "agency": agency, "year": year, "key": key}

    def parse_page(self, response):
        if response.status not in (200, 304) or response.meta.get("sha256") is None:
            return
        from extract.readers.html import read_html_outline

        text = self.text_of(response)
        root = tree(text)  # one parse serves the outline and the attachment links
        try:
            parsed = read_html_outline(text, response.url, root)
        except Exception as e:  # noqa: BLE001 - one bad page must not end the site
            self.logger.warning("%s: unreadable page %s (%s)", self.site.name, response.url, e)
            self.failed += 1
            return
        title = parsed.title or response.meta["title"]
        if not metadata.report_year(metadata.clean_title(title), ""):
            title = response.meta["title"]  # a page title without the year: the link's may have it
        if not names_a_report(title, parsed.text):
            self.skipped.append(title)
            return
        report = self.identify(title, parsed.text)
        report["key"] = report["key"] or response.url
        self.record(response, report, role="page", file_name=None, parent=None)
        module = DIALECTS[self.dialect or "generic"]
        links = [(link, "attachment") for link in module.attachments(text, response.url, root)]
        links += [(Link(url, file_name_from_url(url)), "picture") for url in parsed.images if url.startswith("http")]
        for link, role in links:
            yield scrapy.Request(link.url, callback=self.parse_file,
                                 meta={"kind": role, "role": role, "file_name": link.title, "parent": response.url,
                                       "report": report})

    def parse_file(self, response):
        if response.status not in (200, 304) or response.meta.get("sha256") is None:
            return
        report = response.meta["report"]
        report["key"] = report["key"] or response.url
        name = _file_name(response, response.meta.get("file_name") or file_name_from_url(response.url))
        self.record(response, report, role=response.meta["role"], file_name=name, parent=response.meta["parent"])

    def record(self, response, report: dict, role: str, file_name: str | None, parent: str | None) -> None:
        self.reports.add(report["key"])
        self.store.record_report_document(
            site=self.site.name, report_key=report["key"], url=response.request.url, title=report["title"],
            agency=report["agency"], year=report["year"], role=role, file_name=file_name, parent_url=parent,
            sha256=response.meta["sha256"], run_id=self.run_id)
