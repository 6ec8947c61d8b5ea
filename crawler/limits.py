"""Downloader middleware: what one download may cost, whatever the server does.

- **One deadline per download.** Scrapy's DOWNLOAD_TIMEOUT bounds one attempt; a redirect or a retry
  starts a new one, so a URL answering one byte a second cost four timeouts (three retries). Here the
  first attempt sets a deadline (now + the site's timeout) that its redirects and retries share: each
  attempt gets only what is left of it, and a download whose deadline is spent is not retried.
- **Size by kind.** A list page or robots.txt larger than LIST_MAXSIZE (a site's `max_list_mb`) once
  decompressed is not read, nor a report page larger than PAGE_MAXSIZE: both are parsed in the crawl, and
  parsing costs tens of times the page's size in memory. Attachments keep DOWNLOAD_MAXSIZE (`max_size_mb`).
  Scrapy checks the limit while downloading and while decompressing, so a gzip bomb stops at the limit.
"""
from __future__ import annotations

import time

from scrapy.exceptions import DownloadTimeoutError

from crawler import settings as defaults

DEADLINE = "nianbao_deadline"


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
        timeout = request.meta.get("download_timeout") or self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        if not timeout:
            return None
        now = time.monotonic()
        if DEADLINE not in request.meta:
            request.meta[DEADLINE] = (now + timeout, timeout)
        deadline, whole = request.meta[DEADLINE]
        left = deadline - now
        if left <= 0:
            request.meta["dont_retry"] = True
            raise DownloadTimeoutError(f"Getting {request.url} took longer than {whole} seconds"
                                       " (its redirects and retries included).")
        request.meta["download_timeout"] = max(round(left, 2), 0.01)
        return None

    def _spent(self, request) -> None:
        deadline = request.meta.get(DEADLINE)
        if deadline and time.monotonic() >= deadline[0] - 0.05:
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
