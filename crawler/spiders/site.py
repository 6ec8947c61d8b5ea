"""`site`: one registry site as a standalone Scrapy spider, for `scrapy crawl` and Scrapyd.

    scrapy crawl site -a site=NAME -a sites=/path/sites.yaml -a data=/path/data
    curl http://127.0.0.1:6800/schedule.json -d project=nianbao -d spider=site -d site=NAME -d sites=... -d data=...

It opens the store itself, records its run in `crawl_runs` and the site's status in `sites`, and writes
into the same data directory as `nianbao crawl`, so `nianbao build` sees its documents.
"""
from __future__ import annotations

from pathlib import Path

from scrapy import signals

from crawler.run import site_settings
from crawler.sites import load_sites
from crawler.spider import ReportSpider
from crawler.store import Store
from crawler.warc import repair


class SiteSpider(ReportSpider):
    name = "site"

    @classmethod
    def from_crawler(cls, crawler, site: str = "", sites: str = "sites.yaml", data: str = "data", **kwargs):
        chosen = [s for s in load_sites(sites) if s.name == site]
        if not chosen:
            raise ValueError(f"no site named {site!r} in {sites}")
        crawler.settings.setdict(site_settings(chosen[0]), priority="spider")  # as `nianbao crawl` does
        store = Store(Path(data), background=True)
        for old in sorted((Path(data) / "warc").glob("*.warc.gz")):
            repair(old)
        run_id = store.start_run(1)
        warc_path = Path(data) / "warc" / f"crawl-{run_id:05d}.warc.gz"
        spider = super().from_crawler(crawler, site=chosen[0], store=store, run_id=run_id, warc_path=str(warc_path),
                                      **kwargs)
        crawler.signals.connect(spider.finish, signal=signals.spider_closed)
        return spider

    def finish(self, spider, reason):
        outcome = self.outcome()
        self.store.set_site(self.site, outcome["status"], outcome["detail"])
        summary = self.store.finish_run(self.run_id, self.pages, self.errors, [outcome])
        self.store.close()
        self.logger.warning("%s: %s, %s reports found, %s new, %s changed, %s failed; run %s", self.site.name,
                            outcome["status"], outcome["found"], summary["new_reports"], summary["changed_reports"],
                            outcome["failed"], summary["run"])
