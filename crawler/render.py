"""Script-built lists read through a real browser: scrapy-playwright driving Debian's chromium.

Some columns build their list or their pager in the browser (TRS 「动静结合」 `*.trsapi` lists, Hanweb
`unitbuild`, pagers written by script, a stated total larger than the items shown). Where the data endpoint is
known the dialect calls it directly; otherwise a site spider hands the column here. One render crawler per crawl
process, whatever the number of sites (a browser per site would not scale): it opens the column page in
chromium, reads the rendered links, clicks the rendered 下一页 until the pager ends or the column's page limit,
and hands each rendered page back to the site's spider, which reads it like any list page.

Bounded: only list pages are rendered, each page within a render timeout, at most the column's `max_pages`
pages; pictures, fonts and media are not loaded; a site turns rendering off with `render: false`. No browser is
downloaded: chromium is the system's (`NIANBAO_CHROMIUM` or /usr/bin/chromium).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from dataclasses import dataclass

import scrapy

RENDER_TIMEOUT = 30.0  # seconds for one rendered page (load and settle)
_NEXT = re.compile(r"^\s*(下一页|下页|后页|下一頁|next\s*›?|>|›|»)\s*$", re.I)


def chromium() -> str | None:
    return os.environ.get("NIANBAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def settings(timeout: float = RENDER_TIMEOUT) -> dict:
    """The render crawler's settings: scrapy-playwright's handler for http(s), the system chromium, no
    downloads of pictures or fonts, and none of the site crawlers' own record keeping (the site spider records
    what it fetches; a rendered DOM is not an archived original)."""
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler, "file": None, "ftp": None, "s3": None, "data": None},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium(), "headless": True, "timeout": timeout * 1000,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        },
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 2,
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.render.not_needed",
        "DOWNLOADER_MIDDLEWARES": {"crawler.fetchlog.FetchLog": None, "crawler.guard.RedirectCheck": 60},
        "CONCURRENT_REQUESTS": 2,
        "ROBOTSTXT_OBEY": False,  # the site spider asked robots.txt for the same page already
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "RETRY_ENABLED": False,
    }


def not_needed(request) -> bool:
    """Pictures, media and fonts are not needed to read a list; nothing but http(s) is ever loaded."""
    return request.resource_type in ("image", "media", "font") or not request.url.startswith(("http://", "https://"))


@dataclass
class Job:
    """A column to render for a site spider: where, why, how many pages at most, and who reads the result."""

    url: str
    column: str
    why: str
    max_pages: int
    allowed_domains: list[str]
    deliver: object  # callable(list of (url, html)) on the site spider
    done: object  # callable(error or None)


class RenderSpider(scrapy.Spider):
    """Takes render jobs from the site spiders of this process until they have all closed."""

    name = "render"

    def __init__(self, jobs: asyncio.Queue | None = None, **kwargs):
        super().__init__(**kwargs)
        self.jobs = jobs
        self.allowed_domains: list[str] = []

    def stop(self, reason: str) -> None:
        """The crawl is being stopped: take no more jobs."""
        self.jobs.put_nowait(None)

    async def start(self):
        while True:
            job = await self.jobs.get()
            if job is None:
                return
            yield scrapy.Request(job.url, callback=self.rendered, errback=self.failed, dont_filter=True,
                                 meta={"playwright": True, "playwright_include_page": True, "job": job,
                                       "allowed_domains": job.allowed_domains,
                                       "playwright_page_goto_kwargs": {"wait_until": "networkidle"}})

    async def rendered(self, response):
        job: Job = response.meta["job"]
        page = response.meta["playwright_page"]
        pages = [(response.url, await page.content())]
        try:
            while len(pages) < job.max_pages and await self._next(page):
                html = await self._changed(page, pages[-1][1])
                if html is None:
                    self.logger.info("render %s: the pager's next control changed nothing", job.url)
                    break
                pages.append((page.url, html))
        except Exception as e:  # noqa: BLE001 - a pager that stops answering ends the column, not the crawl
            self.logger.info("render %s: pager stopped (%s)", job.url, str(e).splitlines()[0][:200])
        finally:
            await page.close()
        job.deliver(pages)
        job.done(None)

    async def _next(self, page) -> bool:
        """Click the rendered pager's next control, if there is an enabled one."""
        for element in await page.query_selector_all("a, button, span, li, input[type=button]"):
            text = (await element.inner_text() if await element.evaluate("e => e.tagName !== 'INPUT'")
                    else await element.get_attribute("value")) or ""
            if not _NEXT.match(text) or not await element.is_visible():
                continue
            classes = (await element.get_attribute("class") or "") + (await element.get_attribute("disabled") or "")
            if "disabled" in classes:
                return False
            await element.click()
            return True
        return False

    @staticmethod
    async def _changed(page, before: str, timeout: float = 10.0) -> str | None:
        """The page once a click has changed it (a script pager fetches, then rewrites the list), or None when
        nothing changed within the timeout. A pager that navigates is waited for like a load."""
        waited = 0.0
        while waited < timeout:
            await page.wait_for_timeout(200)
            waited += 0.2
            with contextlib.suppress(Exception):  # the page is navigating: read it once it has loaded
                await page.wait_for_load_state("networkidle", timeout=timeout * 1000)
                html = await page.content()
                if html != before:
                    await page.wait_for_timeout(300)  # let the rest of the list settle
                    return await page.content()
        return None

    async def failed(self, failure):
        job: Job = failure.request.meta["job"]
        page = failure.request.meta.get("playwright_page")
        if page is not None:
            await page.close()
        message = " ".join(str(failure.value).split())[:200] or type(failure.value).__name__
        job.done(message)
