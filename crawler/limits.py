"""Downloader middleware: what one download may cost, whatever the server does.

- **One time budget per download.** Scrapy's DOWNLOAD_TIMEOUT bounds one attempt; a redirect or a retry
  starts a new one, so a URL answering one byte a second cost four timeouts (three retries). Here a
  download's attempts (its redirects and retries) share one budget, the site's timeout: each attempt gets
  only what is left of it, and a download whose budget is spent is not retried. Only time on the wire
  counts (`TimedHTTPHandler` times each attempt): a redirect waiting behind its host's delay is not
  downloading, and a polite crawl of a big column must not time out its own queue.
- **Size by kind.** A list page or robots.txt larger than LIST_MAXSIZE (a site's `max_list_mb`) once
  decompressed is not read, nor a report page larger than PAGE_MAXSIZE: both are parsed in the crawl, and
  parsing costs tens of times the page's size in memory. Attachments keep DOWNLOAD_MAXSIZE (`max_size_mb`).
  Scrapy checks the limit while downloading and while decompressing, so a gzip bomb stops at the limit.
"""
from __future__ import annotations

import time

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadTimeoutError

from crawler import settings as defaults

BUDGET = "nianbao_budget"  # (seconds spent on the wire, seconds allowed) of one download


class Limits:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self.list_maxsize = settings.getint("LIST_MAXSIZE", defaults.LIST_MAXSIZE)
        self.page_maxsize = settings.getint("PAGE_MAXSIZE", defaults.PAGE_MAXSIZE)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def list_limit(self) -> int:
        site = getattr(self.crawler.spider, "site", None)
        if site is not None and site.max_list_mb:
            return int(site.max_list_mb * 1024 * 1024)
        return self.list_maxsize

    def process_request(self, request):
        if "download_maxsize" not in request.meta:
            kind = request.meta.get("kind", "list")
            if kind == "list":  # list pages, and robots.txt (which has no kind)
                request.meta["download_maxsize"] = min(self.list_limit(), self.maxsize or self.list_limit())
            elif kind == "page":
                request.meta["download_maxsize"] = min(self.page_maxsize, self.maxsize or self.page_maxsize)
            else:
                request.meta["download_maxsize"] = self.maxsize
        budget = request.meta.get(BUDGET)  # a redirect or a retry of a download already under way
        if budget and budget[0] >= budget[1]:
            request.meta["dont_retry"] = True
            raise DownloadTimeoutError(f"Getting {request.url} took longer than {budget[1]:g} seconds"
                                       " (its redirects and retries included).")
        return None

    def _spent(self, request) -> None:
        budget = request.meta.get(BUDGET)
        if budget and budget[0] >= budget[1] - 0.05:
            request.meta["dont_retry"] = True  # the retry middleware (below this one) leaves it

    def process_response(self, request, response):
        self._spent(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DownloadTimeoutError):  # its own attempt used what was left
            request.meta["dont_retry"] = True
        else:
            self._spent(request)
        return None


class TimedHTTPHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP(S) handler, each attempt given what is left of its download's budget and timed."""

    async def download_request(self, request):
        allowed = request.meta.get("download_timeout") or self._crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        if not allowed:
            return await super().download_request(request)
        spent, whole = request.meta.setdefault(BUDGET, (0.0, allowed))
        request.meta["download_timeout"] = max(round(whole - spent, 2), 0.01)
        start = time.monotonic()
        try:
            return await super().download_request(request)
        finally:
            request.meta[BUDGET] = (spent + time.monotonic() - start, whole)
