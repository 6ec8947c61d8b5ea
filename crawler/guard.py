"""What the crawler will never fetch, whatever a page links to.

Scrapy's off-site filter compares host names only, so a portal page linking `file://<its own host>/etc/passwd`
or `ftp://<its own host>/` passes it, and Scrapy's file handler would read a local file into the archive.
Only http and https are ever requested: the other download handlers are switched off in the settings, and
this spider middleware drops every other scheme before the request reaches the scheduler. A redirect is a
new link and is checked the same way (the downloader middleware below), including the start request,
whose `dont_filter` makes Scrapy's own off-site check skip it.
"""
from __future__ import annotations

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(url) -> int | None:
    return url.port or DEFAULT_PORTS.get(url.scheme)


def redirect_refusal(first_url: str, request: Request, allowed_domains: list[str]) -> str | None:
    """Why a redirect from `first_url` (where the chain began) to `request` must not be followed, or None: it
    leaves http(s), the site's hosts, or the port it began on (other than for its scheme's default port)."""
    target = urlparse_cached(request)
    if target.scheme not in SCHEMES:
        return f"not an http(s) URL ({target.scheme}:)"
    host = (target.hostname or "").lower()
    if allowed_domains and not any(host == d or host.endswith("." + d) for d in map(str.lower, allowed_domains)):
        return f"another host ({target.hostname})"
    first = urlparse_cached(Request(first_url))
    if _port(target) not in (_port(first), DEFAULT_PORTS[target.scheme]):
        return f"another port ({target.port})"
    return None


class SchemeFilter:
    """Spider middleware: requests with any scheme but http(s) never reach the scheduler."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def _http_only(self, items):
        async for item in items:
            if isinstance(item, Request) and urlparse_cached(item).scheme not in SCHEMES:
                self.crawler.spider.logger.warning("refused %s: not an http(s) URL", item.url[:200])
                continue
            yield item

    # Scrapy asks for async generator methods here (it inspects them): each passes its items through one filter.
    async def process_spider_output(self, response, result):
        async for item in self._http_only(result):
            yield item

    async def process_start(self, start):
        async for item in self._http_only(start):
            yield item


class RedirectCheck:
    """Downloader middleware: every request about to be sent, a redirect's target included, is http(s) and on
    the site's allowed hosts. A refused redirect is recorded with its reason on the spider (and a list page
    refused so marks the site partial).

    A redirect is checked when it is scheduled, too: Scrapy's off-site filter drops a redirect to another host
    right there, without an errback or a word, so the reason is recorded first."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        check = cls(crawler)
        crawler.signals.connect(check.request_scheduled, signal=signals.request_scheduled)
        return check

    def request_scheduled(self, request, spider=None):
        if request.meta.get("redirect_urls"):
            self.process_request(request)

    def process_request(self, request):
        spider = self.crawler.spider
        chain = request.meta.get("redirect_urls")
        if urlparse_cached(request).scheme not in SCHEMES:
            reason = "not an http(s) URL"
        elif chain:
            domains = request.meta.get("allowed_domains") or getattr(spider, "allowed_domains", None) or []
            reason = redirect_refusal(chain[0], request, domains)
            if reason:
                reason = f"redirect to {reason}: {chain[0][:120]} → {request.url[:120]}"
                if hasattr(spider, "refused") and reason not in spider.refused:
                    spider.refused.append(reason)
                    spider.logger.warning("refused %s: %s", request.url[:200], reason)
                if request.meta.get("kind") == "list" and hasattr(spider, "partial"):
                    spider.partial = True
                raise IgnoreRequest(reason)
        else:
            reason = None
        if reason:
            spider.logger.warning("refused %s: %s", request.url[:200], reason)
            raise IgnoreRequest(reason)
        return None
