"""`nianbao crawl`: one Scrapy crawler per site (each with its own politeness and TLS settings) in one
process, a run recorded in the fetch log, a WARC file for the run."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler import settings as defaults
from crawler.sites import Site
from crawler.spider import ReportSpider
from crawler.store import Store
from crawler.warc import repair


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
          overrides: dict | None = None) -> dict:
    """Crawl the sites into the data directory; returns the run's summary with a row per site.
    `overrides` are Scrapy settings from the user's configuration (nianbao/config.py)."""
    store, run_id, warc_path = open_run(Path(data_dir), len(sites))
    logging.getLogger("scrapy").setLevel(logging.INFO if log_file else logging.WARNING)
    previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_one_line_records(previous_factory))
    base = {**process_settings(log_file), **(overrides or {})}
    process = CrawlerProcess(settings=base)
    crawlers = []
    with _progress() as bar:
        for site in sites:
            spider_class = type(f"ReportSpider_{len(crawlers)}", (ReportSpider,),
                                {"custom_settings": site_settings(site, polite, base)})
            crawler = process.create_crawler(spider_class)
            _show_progress(crawler, bar, bar.add_task(site.name, total=None, pages=0, reports=0, status=""))
            crawlers.append(crawler)
            process.crawl(crawler, site=site, store=store, run_id=run_id, warc_path=warc_path)
        try:
            process.start()
        finally:
            logging.setLogRecordFactory(previous_factory)
    summary = close_run(store, run_id, [crawler.spider for crawler in crawlers])
    summary["warc"] = warc_path
    return summary


def open_run(data: Path, sites: int) -> tuple[Store, int, str]:
    """A crawl's store (its writer started), the WARC files of killed runs repaired, and a new run with the
    path of its WARC file. `nianbao crawl` and the Scrapyd spider (crawler/spiders/site.py) both start here."""
    store = Store(data, background=True)
    for old in sorted((data / "warc").glob("*.warc.gz")):
        repair(old)
    run_id = store.start_run(sites)
    return store, run_id, str(data / "warc" / f"crawl-{run_id:05d}.warc.gz")


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
