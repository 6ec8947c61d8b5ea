"""Downloader middleware: every response is checked for an anti-bot wall, kept, logged and archived.

It sits nearest the engine, so it sees final responses (after retries, redirects and decompression).
Report pages and files get conditional requests from the fetch log; a 304 hands the callback the body
kept last time. A wall marks the site blocked and closes its spider: nothing behind it is kept.
"""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

from crawler.antibot import wall

DOCUMENT_KINDS = ("page", "attachment", "picture", "file")


def _headers(headers) -> dict[str, str]:
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in headers.items()}


def _header_list(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


class FetchLog:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        spider = self.crawler.spider
        if spider.blocked:
            raise IgnoreRequest(f"site blocked: {spider.blocked}")
        if spider.stopped:
            raise IgnoreRequest(f"crawl {spider.stopped}")
        if spider.store.broken:  # the Scrapyd spider has no stopper of its own (crawler/run.py): end here
            spider.stop(spider.store.broken)
            deferred_from_coro(spider.crawler.engine.close_spider_async(reason="store writer died"))
            raise IgnoreRequest(spider.store.broken)
        if request.url in (request.meta.get("redirect_urls") or []):  # redirected back to where it was
            self._block(spider, "cookie/redirect loop", request.url)
            raise IgnoreRequest("redirect loop")
        if request.meta.get("kind") in DOCUMENT_KINDS:
            known = spider.store.validators(request.url)
            if known:
                request.meta["validators"] = known
                if known.etag:
                    request.headers["If-None-Match"] = known.etag
                if known.last_modified:
                    request.headers["If-Modified-Since"] = known.last_modified
        return None

    def process_response(self, request, response):
        spider = self.crawler.spider
        headers = _headers(response.headers)
        reason = wall(response.status, headers, response.body, request.meta.get("redirect_urls"))
        if reason:
            self._block(spider, reason, response.url)
            raise IgnoreRequest(reason)
        kind = request.meta.get("kind", "list")
        media_type = headers.get("content-type", "").split(";")[0].strip() or None
        keep = response.status == 200 and bool(response.body)
        warc = (spider.warc_path, (response.url, request.method, _headers(request.headers), response.status,
                                   _reason(response.status), _header_list(response.headers)))
        fetch = {"url": request.url, "final_url": response.url, "status": response.status, "headers": headers,
                 "size": len(response.body), "media_type": media_type, "site": spider.site.name,
                 "run_id": spider.run_id, "kind": kind}
        sha256 = spider.store.keep_response(response.body, keep, response.url, media_type, fetch, warc)
        if response.status == 304 and request.meta.get("validators"):
            sha256 = request.meta["validators"].sha256
            request.meta["unchanged"] = True
        request.meta["sha256"] = sha256
        spider.pages += 1
        if response.status >= 400:
            spider.errors += 1
            # A page the portal no longer has (404, 410) is counted apart (spider.missing), not as a failure.
            spider.failed += kind in DOCUMENT_KINDS and response.status not in (404, 410)
        return response

    def process_exception(self, request, exception):
        spider = self.crawler.spider
        if not isinstance(exception, IgnoreRequest):
            spider.errors += 1
            spider.failed += request.meta.get("kind") in DOCUMENT_KINDS
            spider.store.log_fetch(url=request.url, final_url=request.url, status=0,
                                   headers={"error": f"{type(exception).__name__}: {exception}"[:300]},
                                   sha256=None, size=0, media_type=None, site=spider.site.name,
                                   run_id=spider.run_id, kind=request.meta.get("kind", "list"))
        return None

    @staticmethod
    def _block(spider, reason: str, url: str) -> None:
        if not spider.blocked:
            spider.block(reason)
            spider.logger.warning("%s: blocked by %s at %s", spider.site.name, reason, url)
            deferred_from_coro(spider.crawler.engine.close_spider_async(reason="blocked"))


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
