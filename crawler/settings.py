"""Scrapy settings for nianbao's spiders: polite by default (government portals are small servers)."""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao; archive of 政府信息公开工作年度报告)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
# Scrapy starts this many tasks for every response's output, whatever its size; a callback yields a few
# requests and the project has no item pipeline, so a hundred (the default) cost a tenth of the crawl's CPU.
CONCURRENT_ITEMS = 4
RETRY_ENABLED = True
RETRY_TIMES = 3
# RedirectCheck comes before Scrapy's off-site filter (50), which would drop an off-site redirect unsaid;
# Limits sits just above Scrapy's retry middleware (550): it sees a failure first and can stop its retry.
DOWNLOADER_MIDDLEWARES = {"crawler.guard.RedirectCheck": 40, "crawler.fetchlog.FetchLog": 50,
                          "crawler.limits.Limits": 555}
SPIDER_MIDDLEWARES = {"crawler.guard.SchemeFilter": 10}
# Only http(s) (crawler/guard.py); each attempt timed against its download's budget (crawler/limits.py).
DOWNLOAD_HANDLERS = {"http": "crawler.limits.TimedHTTPHandler", "https": "crawler.limits.TimedHTTPHandler",
                     "file": None, "ftp": None, "s3": None, "data": None}
TELNETCONSOLE_ENABLED = False
# nianbao's own limits (a site's registry entry may set its own: crawler/sites.py)
MAX_LIST_PAGES = 300  # list pages read per column (start URL)
MAX_LIST_DEPTH = 100  # list pages followed one from another (a 下一页 chain)
MAX_LIST_ITEMS = 2000  # items read from one list page
LIST_MAXSIZE = 4 * 1024 * 1024  # a list page (or robots.txt) larger than this, decompressed, is not read
PAGE_MAXSIZE = 16 * 1024 * 1024  # the same for a report page, which the crawl parses for its attachments
