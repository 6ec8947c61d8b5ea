"""The spider: one per site, its dialect from the registry or from the column page.

List pages are read every run. An item is classified by its link title with the extractor's own
classifier (a 指南, 预算 or 工作要点 is skipped unread); a report page is classified again by its title and
text, keyed by the agency and year its own title gives (so another agency's report listed in the column is
kept under that agency, and a 图片版 and a 全文版 of one report are one report with several files), and
its attachments and, when its tables are pictures, its pictures are fetched with it.

A column's paging is bounded (list pages per start URL, depth of a 下一页 chain, items per page: the
registry's `max_pages`, `max_depth`, else crawler/settings.py), and every request has an errback, so what was
not read is said with its reason in the site's row (`crawl_run_sites.detail`) and at INFO in the log: a
robots.txt refusal, too many redirects, a body over its size limit once decompressed, an HTTP error, a cut
paging. The site is `ok` only when nothing that lists reports was missed (see `outcome`).
"""
from __future__ import annotations

import re
from email.message import Message
from urllib.parse import unquote, urlparse

import scrapy
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import settings as defaults
from crawler.frontier import release
from cms import DIALECTS, attachments, detect, hanweb
from cms.generic import FILE_TYPES, Link, best_name, file_name_from_url, tree
from crawler.titles import classify_title, names_a_report
from extract import metadata
from extract.encoding import decode

_FILE = re.compile(r"\.(" + "|".join(FILE_TYPES) + r")$", re.I)


_DOCUMENT_KINDS = ("page", "attachment", "picture", "file")
GRACE = 2.0  # seconds a shared crawl's spider waits with nothing left anywhere before it closes
POLL = 0.3  # seconds between two looks at the shared frontier while other processes hold its requests


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__


def _size(limit: int | None) -> str:
    return f"{limit / 2**20:g} MB" if limit else "the size limit"


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

    def __init__(self, site, store, run_id: int, warc_path: str, render_jobs=None, frontier: str | None = None,
                 **kwargs):
        super().__init__(name=self.name_for(site), **kwargs)
        # A crawl shared with other processes through Redis (crawler/frontier.py): start URLs, requests and the
        # columns read are there; what this process did is its part of the crawl.
        self.redis = None
        if frontier:
            from crawler.frontier import connect

            self.redis = connect(frontier)
        self.idle_since: float | None = None
        self.render_jobs = render_jobs  # where script-built columns go to be rendered (crawler.run._Render)
        self.rendering = 0  # columns handed to the renderer and not yet back
        self.rendered: dict[str, str] = {}  # column → why it was rendered
        self.notes: list[str] = []  # what the site's row says besides problems (a column read in a browser)
        self.site, self.store, self.run_id, self.warc_path = site, store, run_id, warc_path
        self.allowed_domains = site.allowed_domains
        self.dialect = site.cms
        self.seen: set[str] = set()
        self.followed: set[tuple] = set()
        self.blocked: str | None = None
        self.pages = self.errors = 0
        self.failed = 0  # report pages and files that could not be fetched or read
        self.missing = 0  # report pages and files the portal no longer has (404, 410): not failures, not skips
        self.reports: set[str] = set()
        self.skipped: list[str] = []
        self.refused: list[str] = []  # redirects refused by crawler.guard, with their reasons
        self.problems: list[str] = []  # what was not read and why, for the site's row
        self.partial = False  # a list page was not read or a column's paging was cut: reports may be missed
        self.columns_read: set[str] = set()  # start URLs whose first list page was read
        self.forbidden: set[str] = set()  # start URLs robots.txt forbids
        self.list_pages: dict[str, int] = {}  # list pages requested per column (start URL)
        self.stopped: str | None = None  # why the crawl was stopped before its end (a signal, the store)

    @staticmethod
    def name_for(site) -> str:
        """The spider's name for a site: its keys in a shared crawl's Redis are named after it."""
        return f"reports-{site.name}"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=scrapy.signals.spider_idle)
        return spider

    def idle(self):
        if self.rendering:  # a column is in the browser: its items come back to be fetched
            raise DontCloseSpider
        if self.redis is not None and self.frontier_busy():
            from twisted.internet import reactor

            slot = getattr(self.crawler.engine, "_slot", None)  # poll again soon, not at the 5 s heartbeat
            if slot is not None:
                reactor.callLater(POLL, slot.nextcall.schedule)
            raise DontCloseSpider

    def frontier_busy(self) -> bool:
        """Whether this site's shared crawl may still have work: requests queued or leased by any process, or
        start URLs not taken; closed only after GRACE seconds of nothing (a start URL between its taking and
        its queueing)."""
        import time

        from crawler.frontier import pending

        if pending(self.redis, self.name):
            self.idle_since = None
            return True
        self.idle_since = self.idle_since or time.monotonic()
        return time.monotonic() - self.idle_since < GRACE

    async def start(self):
        """The site's start URLs: its own, or in a shared crawl those this process takes from Redis (scrapy-redis
        0.9 has only start_requests(), which Scrapy ≥ 2.16 no longer calls)."""
        for url in self.start_urls_to_crawl():
            self.list_pages[url] = 1
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error, dont_filter=True,
                                 meta={"kind": "list", "column": url, "depth": 0})

    def start_urls_to_crawl(self):
        if self.redis is None:
            yield from self.site.start_urls
            return
        from crawler.frontier import take_start_url

        while (url := take_start_url(self.redis, self.name)) is not None:
            yield url

    def shared(self, name: str, own: set[str]) -> set[str]:
        """A set this spider keeps (columns read, columns forbidden), with what other processes added in a
        shared crawl."""
        if self.redis is None:
            return own
        from crawler.frontier import keys

        return own | {m.decode() for m in self.redis.smembers(keys(self.name)[name])}

    def share(self, name: str, own: set[str], value: str) -> None:
        own.add(value)
        if self.redis is not None:
            from crawler.frontier import keys

            self.redis.sadd(keys(self.name)[name], value)

    def limit(self, name: str) -> int:
        """A paging limit: the site's own (max_pages, max_depth), else the run's setting."""
        own = getattr(self.site, name, None)
        if own:
            return own
        setting = {"max_pages": "MAX_LIST_PAGES", "max_depth": "MAX_LIST_DEPTH", "max_items": "MAX_LIST_ITEMS"}[name]
        crawler = getattr(self, "crawler", None)
        default = getattr(defaults, setting)
        return crawler.settings.getint(setting, default) if crawler else default

    def outcome(self) -> dict:
        """This site's figures for the run's summary (crawler.store.Store.finish_run).

        `ok` only when every start URL was read and nothing that may list reports was left unread; `partial`
        when a list page could not be read, a column's paging was cut at its limit, or the crawl was stopped;
        `forbidden` when robots.txt forbids the column; `unreachable` when no column could be read at all; the
        detail says why, and what else could not be fetched."""
        columns_read, forbidden = self.shared("columns_read", self.columns_read), self.shared("forbidden", self.forbidden)
        walls = self.shared("blocked", {self.blocked} if self.blocked else set())
        blocked = self.blocked or min(walls, default=None)
        if blocked:
            status = "blocked"
        elif self.stopped:
            status = "partial"
        elif not columns_read:
            status = "forbidden" if forbidden else "unreachable"
        elif self.partial or len(columns_read) < len(self.site.start_urls):
            status = "partial"
        else:
            status = "ok"
        reasons = ([self.stopped] if self.stopped else []) + list(dict.fromkeys(self.problems + self.refused + self.notes))
        detail = blocked or "; ".join(reasons)
        if len(detail) > 500:
            detail = detail[:499] + "…"
        return {"site": self.site.name, "status": status, "detail": detail, "dialect": self.dialect,
                "pages": self.pages, "found": len(self.shared("reports", self.reports)), "failed": self.failed, "skipped": len(self.skipped),
                "missing": self.missing}

    def stop(self, reason: str) -> None:
        """The crawl is being stopped (SIGTERM, SIGINT, the store's writer gone): said in the site's row."""
        if not self.stopped and not self.blocked:
            self.stopped = reason

    # --- failures -------------------------------------------------------------------------------

    def note(self, kind: str, url: str, reason: str) -> None:
        """A request that came to nothing, with why: in the log at INFO and in the site's row."""
        what = "list page" if kind == "list" else "report page" if kind == "page" else "file"
        if kind == "list":
            self.partial = True
        self.problems.append(f"{what} {url[:150]}: {reason}")
        self.logger.info("%s: %s %s not read: %s", self.site.name, what, url[:200], reason)

    def on_error(self, failure) -> None:
        """Every request's errback: why it came to nothing, counted and said once.

        FetchLog has logged a failed download (its fetch row, errors and failed); what it never sees is
        said here: a refusal by robots.txt, too many redirects, a body over its size limit once
        decompressed (a gzip bomb), an HTTP error status on a list page."""
        request = failure.request
        release(self, request)  # a shared crawl's request is done once its failure is handled
        kind = request.meta.get("kind", "list")
        error = failure.value
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL as linked, not its last hop
        if self.blocked or self.stopped:
            return
        if isinstance(error, HttpError):
            status = error.response.status
            if status in (404, 410) and kind in _DOCUMENT_KINDS:
                self.missing += 1  # linked from the list but not found on the portal
                self.logger.info("%s: %s not found on the portal (HTTP %d)", self.site.name, url[:200], status)
                return
            self.note(kind, url, f"HTTP {status}")
            return
        if not isinstance(error, IgnoreRequest):  # a download error: FetchLog logged and counted it
            if "larger than download max size" in str(error):
                self.note(kind, url, f"larger than {_size(request.meta.get('download_maxsize'))}")
            else:
                self.note(kind, url, _one_line(error))
            return
        message = str(error)
        if message.startswith(("Filtered offsite request", "site blocked", "redirect loop")):
            return  # another site's link; the wall is the site's status
        if message.startswith("redirect to"):  # crawler.guard said it already (self.refused, self.partial)
            return
        if "robots.txt" in message:
            if request.meta.get("depth") == 0:
                self.share("forbidden", self.forbidden, url)
            self.note(kind, url, "robots.txt forbids it")
            return
        if "max redirections" in message:
            times = self.crawler.settings.getint("REDIRECT_MAX_TIMES") if getattr(self, "crawler", None) else 20
            reason = f"more than {times} redirects"
        elif "decompression" in message:
            reason = f"larger than {_size(request.meta.get('download_maxsize'))} once decompressed"
        else:
            reason = message[:200]
        self.errors += 1
        self.failed += kind in _DOCUMENT_KINDS
        self.store.log_fetch(url=url, final_url=request.url, status=0, headers={"error": reason}, sha256=None, size=0,
                             media_type=None, site=self.site.name, run_id=self.run_id, kind=kind)
        self.note(kind, url, reason)

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
        column = response.meta.get("column") or response.request.url
        depth = response.meta.get("depth", 0)
        if depth == 0:
            self.share("columns_read", self.columns_read, column)
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
        if listing.scripted and depth == 0 and not response.meta.get("rendered_page"):
            self.render(response.request.url, column, listing.scripted)
        most = self.limit("max_items")
        if len(listing.items) > most:
            self.cut(column, f"a list page named more than {most} items; the first {most} were read (max_items)")
            listing.items = listing.items[:most]
        new = [item for item in listing.items if item.url not in self.seen]
        for item in new:
            self.seen.add(item.url)
            yield from self.follow_item(item)
        if new or depth == 0:  # a page that adds nothing new ends the paging
            # Every TRS page announces the whole column again: a set is cheaper than Scrapy's dupefilter.
            follows = [f for f in listing.follow if (f.url, f.method, str(f.form)) not in self.followed]
            if follows and depth + 1 > self.limit("max_depth"):
                self.cut(column, f"paging stopped at depth {self.limit('max_depth')} (max_depth)")
                return
            room = self.limit("max_pages") - self.list_pages.get(column, 1)
            if len(follows) > room:
                self.cut(column, f"paging stopped at {self.limit('max_pages')} list pages (max_pages)")
                follows = follows[:max(room, 0)]
            self.list_pages[column] = self.list_pages.get(column, 1) + len(follows)
            self.followed.update((f.url, f.method, str(f.form)) for f in follows)
            for follow in follows:
                meta = {"kind": "list", "column": column, "depth": depth + 1}
                if follow.method == "POST":
                    yield scrapy.FormRequest(follow.url, formdata=follow.form or {}, callback=self.parse_list,
                                             errback=self.on_error, meta=meta, headers=follow.headers)
                else:
                    yield scrapy.Request(follow.url, callback=self.parse_list, errback=self.on_error, meta=meta,
                                         headers=follow.headers)

    def render(self, url: str, column: str, why: str) -> None:
        """Hand a script-built column to the browser; its rendered pages come back to `read_rendered`."""
        if column in self.rendered:
            return
        self.rendered[column] = why
        if self.render_jobs is None or not self.site.render:
            off = "rendering is off for this site" if not self.site.render else "no browser to render it"
            self.cut(column, f"{why}; {off}, so only its first page was read")
            return
        from crawler.render import Job

        self.rendering += 1
        self.notes.append(f"column {column[:150]}: read in a browser ({why})")
        self.logger.info("%s: column %s rendered in a browser: %s", self.site.name, column, why)
        self.render_jobs.submit(Job(url, column, why, self.limit("max_pages"), list(self.allowed_domains),
                                    lambda pages: self.read_rendered(column, pages),
                                    lambda error: self.rendered_done(column, error)))

    def read_rendered(self, column: str, pages: list[tuple[str, str]]) -> None:
        """The rendered pages of a column: read like list pages; their new items are fetched as usual."""
        module = DIALECTS[self.dialect or "generic"]
        self.logger.info("%s: column %s rendered: %d pages", self.site.name, column, len(pages))
        for url, html in pages:
            for item in module.parse_list(html, url).items[: self.limit("max_items")]:
                if item.url in self.seen:
                    continue
                self.seen.add(item.url)
                for request in self.follow_item(item):
                    self.crawler.engine.crawl(request)

    def rendered_done(self, column: str, error: str | None) -> None:
        self.rendering -= 1
        if error:
            self.cut(column, f"rendering its script-built list failed ({error})")

    def cut(self, column: str, reason: str) -> None:
        """A column's paging ends at a limit: the site is partial, and its row says where."""
        message = f"column {column[:150]}: {reason}"
        if message not in self.problems:
            self.partial = True
            self.problems.append(message)
            self.logger.warning("%s: %s", self.site.name, message)

    def follow_item(self, item):
        verdict = classify_title(item.title)
        if verdict == "not":
            self.skipped.append(item.title)
            return
        meta = {"title": item.title, "date": item.date}
        if _FILE.search(urlparse(item.url).path):
            meta.update(kind="file", role="file", file_name=best_name(item.title, item.url), parent=None,
                        report=self.identify(item.title, ""))
            yield scrapy.Request(item.url, callback=self.parse_file, errback=self.on_error, meta=meta)
        else:
            yield scrapy.Request(item.url, callback=self.parse_page, errback=self.on_error,
                                 meta={**meta, "kind": "page"})

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
        # Found by every CMS's rules: the page's own CMS decides how it links files, whatever its list was.
        links = [(link, "attachment") for link in attachments(text, response.url, root)]
        links += [(Link(url, file_name_from_url(url)), "picture") for url in parsed.images if url.startswith("http")]
        for link, role in links:
            yield scrapy.Request(link.url, callback=self.parse_file, errback=self.on_error,
                                 meta={"kind": role, "role": role, "file_name": link.title, "parent": response.url,
                                       "report": report})

    def parse_file(self, response):
        if response.status not in (200, 304) or response.meta.get("sha256") is None:
            return
        report = response.meta["report"]
        report["key"] = report["key"] or response.url
        name = _file_name(response, response.meta.get("file_name") or file_name_from_url(response.url))
        self.record(response, report, role=response.meta["role"], file_name=name, parent=response.meta["parent"])

    def block(self, reason: str) -> None:
        """An anti-bot wall (crawler/fetchlog.py): the site is blocked, for every process of a shared crawl."""
        self.blocked = self.blocked or reason
        self.share("blocked", set(), reason)

    def record(self, response, report: dict, role: str, file_name: str | None, parent: str | None) -> None:
        self.share("reports", self.reports, report["key"])
        self.store.record_report_document(
            site=self.site.name, report_key=report["key"], url=response.request.url, title=report["title"],
            agency=report["agency"], year=report["year"], role=role, file_name=file_name, parent_url=parent,
            sha256=response.meta["sha256"], run_id=self.run_id)
