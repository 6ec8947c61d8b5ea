"""`site`: one registry site as a standalone Scrapy spider, for `scrapy crawl` and Scrapyd.

    scrapy crawl site -a site=NAME -a sites=/path/sites.yaml -a data=/path/data
    curl http://127.0.0.1:6800/schedule.json -d project=nianbao -d spider=site -d site=NAME -d sites=... -d data=...

It opens the store itself, records its run in `crawl_runs` and the site's status in `sites`, and writes
into the same data directory as `nianbao crawl`, so `nianbao build` sees its documents.
"""
from __future__ import annotations

from pathlib import Path

from scrapy import signals

from crawler.run import close_run, open_run, site_settings
from crawler.sites import load_sites
from crawler.spider import ReportSpider


class SiteSpider(ReportSpider):
    name = "site"

    @classmethod
    def from_crawler(cls, crawler, site: str = "", sites: str = "sites.yaml", data: str = "data", **kwargs):
        chosen = [s for s in load_sites(sites) if s.name == site]
        if not chosen:
            raise ValueError(f"no site named {site!r} in {sites}")
        crawler.settings.setdict(site_settings(chosen[0]), priority="spider")  # as `nianbao crawl` does
        store, run_id, warc_path = open_run(Path(data), 1)
        spider = super().from_crawler(crawler, site=chosen[0], store=store, run_id=run_id, warc_path=warc_path,
                                      **kwargs)
        crawler.signals.connect(spider.finish, signal=signals.spider_closed)
        return spider

    def finish(self, spider, reason):
        if reason not in ("finished", "blocked"):  # Scrapyd stopped it ("shutdown"), or the store's writer died
            self.stop(f"stopped ({reason})")
        summary = close_run(self.store, self.run_id, [self])
        outcome = summary["sites"][0]
        self.logger.warning("%s: %s, %s reports found, %s new, %s changed, %s failed; run %s", self.site.name,
                            outcome["status"], outcome["found"], outcome["new"], outcome["changed"],
                            outcome["failed"], summary["run"])
