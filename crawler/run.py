"""`nianbao crawl`: one Scrapy crawler per site (each with its own politeness and TLS settings) in one
process, a run recorded in the fetch log, a WARC file for the run.

SIGTERM or SIGINT (to the process or its group: `timeout`, systemd, cron wrappers, Ctrl-C) stops the crawl
within seconds: the spiders stop asking, downloads in flight get GRACE seconds, then the reactor stops; the
store's writer (which ignores both signals) writes everything fetched, and the run is closed with each
unfinished site `partial` ("stopped by SIGTERM"). A second signal stops at once. A store writer found dead
stops the crawl the same way and fails the run with one line (CrawlError); the next crawl resumes.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import sys
from pathlib import Path

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler import settings as defaults
from crawler.sites import Site
from crawler.spider import ReportSpider
from crawler.store import Store, WriterDied
from crawler.warc import repair

logger = logging.getLogger("nianbao.crawl")
GRACE = 4.0  # seconds a stopped crawl gives the downloads in flight


class CrawlError(RuntimeError):
    """The crawl could not go on; the message is one line."""


def site_settings(site: Site, polite: bool = True, base: dict | None = None) -> dict:
    """A site's Scrapy settings: its own delay, concurrency, timeout and size limit from the registry, else the
    run's (`base`: the project's settings with the user's configuration over them)."""
    base = base or {}
    delay = base.get("DOWNLOAD_DELAY", defaults.DOWNLOAD_DELAY) if site.delay is None else site.delay
    most = base.get("CONCURRENT_REQUESTS_PER_DOMAIN", defaults.CONCURRENT_REQUESTS_PER_DOMAIN)
    concurrency = min(most, site.concurrency or most)
    custom = {
        "DOWNLOAD_DELAY": delay if polite else 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency if polite else 16,
        "AUTOTHROTTLE_ENABLED": polite and delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
    }
    if site.timeout:
        custom["DOWNLOAD_TIMEOUT"] = site.timeout
    if site.max_size_mb:
        custom["DOWNLOAD_MAXSIZE"] = int(site.max_size_mb * 1024 * 1024)
    if site.legacy_tls:
        custom["DOWNLOAD_TLS_MIN_VERSION"] = "TLSv1.0"
        custom["DOWNLOADER_CLIENTCONTEXTFACTORY"] = "crawler.legacy_tls.LegacyTLSContextFactory"
    return custom


def process_settings(log_file: Path | None = None) -> dict:
    """The project's settings; Scrapy's log goes to `log_file` when given (the terminal shows progress and the
    summary), else only warnings reach the terminal."""
    names = [n for n in dir(defaults) if n.isupper()]
    settings = {n: getattr(defaults, n) for n in names}
    settings["LOG_LEVEL"] = "INFO" if log_file else "WARNING"
    settings["LOG_INSTALL_ROOT_HANDLER"] = True
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        settings["LOG_FILE"] = str(log_file)
        settings["LOG_FILE_APPEND"] = True
    return settings


def _one_line_records(factory):
    """Scrapy logs download failures with tracebacks (and installs its own root handler per crawler, so a
    handler filter would come too late); records are made one line where they are created."""

    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        if record.exc_info and record.name.startswith(("scrapy", "twisted", "py.warnings")):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__})"[:500]
            record.args = ()
            record.exc_info = record.exc_text = None
        return record

    return make


def crawl(sites: list[Site], data_dir: str | Path, polite: bool = True, log_file: Path | None = None,
          overrides: dict | None = None, frontier: str | None = None) -> dict:
    """Crawl the sites into the data directory; returns the run's summary with a row per site.
    `overrides` are Scrapy settings from the user's configuration (nianbao/config.py).

    `frontier`: a Redis URL where `enqueue` published a crawl; this process takes its share of it (the sites
    come from Redis), writes its own part of the fetch log (`DATA/parts/`, merged by the build) and the bodies
    to the shared `DATA/raw/`. Its store writes in this process: a request's lease in Redis is released only
    once what its response produced is written, so a crawler killed at any moment loses nothing."""
    part = crawl_id = None
    if frontier:
        from crawler import frontier as shared

        found = shared.published(frontier)
        if found is None:
            raise CrawlError(f"no crawl enqueued on {frontier}: run `nianbao crawl --redis {frontier} --enqueue"
                             " --sites FILE` once first")
        crawl_id, site_rows = found
        sites = [Site(**row) for row in site_rows]
        part = part_name()
    store, run_id, warc_path = open_run(Path(data_dir), len(sites), part=part, crawl=crawl_id)
    logging.getLogger("scrapy").setLevel(logging.INFO if log_file else logging.WARNING)
    previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_one_line_records(previous_factory))
    base = {**process_settings(log_file), **(overrides or {})}
    process = CrawlerProcess(settings=base)
    crawlers = []
    render = _render_crawler(sites)
    with _progress() as bar:
        for site in sites:
            custom = site_settings(site, polite, base)
            if frontier:
                custom = shared_settings(custom, base, frontier)
            spider_class = type(f"ReportSpider_{len(crawlers)}", (ReportSpider,), {"custom_settings": custom})
            crawler = process.create_crawler(spider_class)
            _show_progress(crawler, bar, bar.add_task(site.name, total=None, pages=0, reports=0, status=""))
            crawlers.append(crawler)
            process.crawl(crawler, site=site, store=store, run_id=run_id, warc_path=warc_path, render_jobs=render,
                          frontier=frontier)
        from twisted.internet import reactor

        stopper = _Stopper(list(crawlers))
        if render:
            render.follow(process, crawlers, stopper)
        store.on_broken(lambda reason: reactor.callLater(0, stopper.stop, reason))  # not inside a middleware

        reactor.callWhenRunning(stopper.install)
        try:
            process.start(install_signal_handlers=False)  # ours: _Stopper
        finally:
            stopper.uninstall()
            logging.setLogRecordFactory(previous_factory)
    spiders = [crawler.spider for crawler in crawlers if crawler.spider is not None]
    try:
        summary = close_run(store, run_id, spiders)
    except WriterDied as e:
        with contextlib.suppress(Exception):
            store.close()
        raise CrawlError(f"{e}; the crawl stopped and run {run_id} is left unfinished: what was written is kept,"
                         " and the next crawl fetches the rest") from None
    summary["warc"] = warc_path
    if part:
        summary["part"], summary["crawl"] = part, crawl_id
    if stopper.reason:
        summary["stopped"] = stopper.reason
    return summary


class _Render:
    """The process's one render crawler (crawler/render.py), started when a site spider first hands it a column
    (a crawl with no script-built list starts no browser and no Playwright driver); its spider ends once every
    site spider has closed."""

    def __init__(self):
        import asyncio

        self.jobs = asyncio.Queue()
        self.crawler = None
        self.process = self.stopper = None
        self.open = 0

    def follow(self, process, site_crawlers: list, stopper) -> None:
        self.process, self.stopper, self.open = process, stopper, len(site_crawlers)

        def closed(*_, **__):
            self.open -= 1
            if self.open == 0:
                self.jobs.put_nowait(None)

        for crawler in site_crawlers:
            crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)

    def submit(self, job) -> None:
        """A column to render (from a site spider's callback, on the running reactor)."""
        if self.crawler is None:
            from crawler import render

            self.crawler = self.process.create_crawler(type("RenderSpider_", (render.RenderSpider,),
                                                            {"custom_settings": render.settings()}))
            self.stopper.crawlers.append(self.crawler)
            self.process.crawl(self.crawler, jobs=self.jobs)
        self.jobs.put_nowait(job)


def _render_crawler(sites: list[Site]) -> _Render | None:
    """A render crawler when a site may need one and chromium is here (none otherwise: lists built by script
    are then said in the site's row, unread)."""
    from crawler.render import chromium

    if not any(site.render for site in sites) or not chromium():
        return None
    return _Render()


class _Stopper:
    """Ends a crawl on SIGTERM or SIGINT, or when the store's writer is gone: gracefully first (each spider
    told why, so its row says so; each crawler stopped), then, GRACE seconds later or on a second signal, by
    stopping the reactor, whatever is still in flight."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, crawlers: list):
        self.crawlers = crawlers
        self.reason: str | None = None
        self.previous: dict = {}

    def install(self) -> None:
        for number in self.SIGNALS:
            self.previous[number] = signal.signal(number, self._signal)

    def uninstall(self) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        self.previous = {}

    def _signal(self, number, _frame) -> None:
        from twisted.internet import reactor

        # Nothing else here: a signal handler may interrupt the reactor anywhere.
        reactor.callFromThread(self.stop, f"stopped by {signal.Signals(number).name}", True)

    def stop(self, reason: str, by_signal: bool = False) -> None:
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        if self.reason:
            if by_signal:
                logger.warning("%s again: stopping now", reason)
                self._force()
            return
        self.reason = reason
        logger.warning("crawl %s: stopping (what was fetched is written; %s s for downloads in flight)", reason,
                       GRACE)
        for crawler in self.crawlers:
            if crawler.spider is not None:
                crawler.spider.stop(reason)
            if crawler.crawling:
                deferred_from_coro(crawler.stop_async())
        reactor.callLater(GRACE, self._force)

    @staticmethod
    def _force() -> None:
        from twisted.internet import reactor

        with contextlib.suppress(RuntimeError):  # already stopping
            reactor.stop()


def open_run(data: Path, sites: int, part: str | None = None, crawl: str | None = None) -> tuple[Store, int, str]:
    """A crawl's store (its writer started), the WARC files of killed runs repaired, and a new run with the
    path of its WARC file. `nianbao crawl` and the Scrapyd spider (crawler/spiders/site.py) both start here.
    A part of a shared crawl holds a lock on its folder while it runs (crawler/parts.py reads it) and writes
    in this process (see `crawl`)."""
    store = Store(data, background=part is None, part=part)
    if part:
        store.lock = hold(store.folder / "running.lock")
    for old in sorted((store.folder / "warc").glob("*.warc.gz")):
        repair(old)
    run_id = store.start_run(sites, crawl)
    return store, run_id, str(store.folder / "warc" / f"crawl-{run_id:05d}.warc.gz")


def part_name() -> str:
    """This crawler's part of a shared crawl: its machine, process and start, unique across machines."""
    import os
    import socket
    from datetime import datetime, timezone

    return f"{socket.gethostname()}-{os.getpid()}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"


def hold(path: Path):
    """An exclusive lock held until the process ends (a killed process releases it too)."""
    import fcntl

    handle = open(path, "w")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def shared_settings(custom: dict, base: dict, frontier: str) -> dict:
    """A site's settings on the shared frontier: its delay held in Redis across processes."""
    from crawler import frontier as shared

    delay = custom.get("DOWNLOAD_DELAY", 0)
    # A process takes from the shared queue only what it may send now: the rest stays for the other processes.
    concurrency = custom.get("CONCURRENT_REQUESTS_PER_DOMAIN", defaults.CONCURRENT_REQUESTS_PER_DOMAIN)
    return {**custom, **shared.settings(frontier, delay), "CONCURRENT_REQUESTS": concurrency,
            "DOWNLOADER_MIDDLEWARES": {**base.get("DOWNLOADER_MIDDLEWARES", {}), **shared.DOWNLOADER_MIDDLEWARES},
            "SPIDER_MIDDLEWARES": {**base.get("SPIDER_MIDDLEWARES", {}), **shared.SPIDER_MIDDLEWARES}}


def close_run(store: Store, run_id: int, spiders: list) -> dict:
    """Each site's status, the run's totals and its row per site; the store closed."""
    outcomes = [spider.outcome() for spider in spiders]
    for spider, outcome in zip(spiders, outcomes):
        store.set_site(spider.site, outcome["status"], outcome["detail"])
    summary = store.finish_run(run_id, sum(o["pages"] for o in outcomes), sum(s.errors for s in spiders), outcomes)
    store.close()
    return summary


def _progress() -> Progress:
    """A line per site while it is crawled (shown on a terminal only; gone when the crawl ends)."""
    return Progress(SpinnerColumn(finished_text="✓"), TextColumn("{task.description:<24}"), BarColumn(),
                    TextColumn("{task.fields[pages]:>6} responses  {task.fields[reports]:>4} reports  "
                               "{task.fields[status]}"), TimeElapsedColumn(), transient=True,
                    disable=not sys.stdout.isatty())


def _show_progress(crawler, bar: Progress, task) -> None:
    def update(*_, **__):
        spider = crawler.spider
        bar.update(task, pages=spider.pages, reports=len(spider.reports), status=spider.blocked or "")

    def done(*_, **__):
        update()
        bar.update(task, total=1, completed=1)

    crawler.signals.connect(update, signal=signals.response_received)
    crawler.signals.connect(done, signal=signals.spider_closed)
