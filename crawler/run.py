"""`nianbao crawl`: one Scrapy crawler per site (each with its own politeness and TLS settings) in one
process, a run recorded in the fetch log, a WARC file for the run."""
from __future__ import annotations

import logging
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from crawler import settings as defaults
from crawler.sites import Site
from crawler.spider import ReportSpider
from crawler.store import Store
from crawler.warc import repair


def site_settings(site: Site, polite: bool = True) -> dict:
    delay = defaults.DOWNLOAD_DELAY if site.delay is None else site.delay
    concurrency = min(2, site.concurrency or defaults.CONCURRENT_REQUESTS_PER_DOMAIN)
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


def process_settings() -> dict:
    names = [n for n in dir(defaults) if n.isupper()]
    settings = {n: getattr(defaults, n) for n in names}
    settings["LOG_LEVEL"] = "WARNING"
    settings["LOG_INSTALL_ROOT_HANDLER"] = True
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


def crawl(sites: list[Site], data_dir: str | Path, polite: bool = True) -> dict:
    data = Path(data_dir)
    store = Store(data, background=True)
    for old in sorted((data / "warc").glob("*.warc.gz")):
        repair(old)
    run_id = store.start_run(len(sites))
    warc_path = data / "warc" / f"crawl-{run_id:05d}.warc.gz"
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_one_line_records(previous_factory))
    process = CrawlerProcess(settings=process_settings())
    spiders = []
    for site in sites:
        spider_class = type(f"ReportSpider_{len(spiders)}", (ReportSpider,), {"custom_settings": site_settings(site, polite)})
        crawler = process.create_crawler(spider_class)
        spiders.append(crawler)
        process.crawl(crawler, site=site, store=store, run_id=run_id, warc_path=str(warc_path))
    try:
        process.start()
    finally:
        logging.setLogRecordFactory(previous_factory)
    pages = errors = 0
    per_site = []
    for crawler, site in zip(spiders, sites):
        spider = crawler.spider
        pages += spider.pages
        errors += spider.errors
        status = "blocked" if spider.blocked else ("ok" if spider.pages and spider.pages > spider.errors else "unreachable")
        store.set_site(site, status, spider.blocked or "")
        per_site.append({"site": site.name, "status": status, "detail": spider.blocked, "dialect": spider.dialect,
                         "pages": spider.pages, "reports": len(spider.reports), "skipped": len(spider.skipped)})
    summary = store.finish_run(run_id, pages, errors)
    store.close()
    summary["sites"] = per_site
    summary["warc"] = str(warc_path)
    return summary
