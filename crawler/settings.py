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
RETRY_ENABLED = True
RETRY_TIMES = 3
DOWNLOADER_MIDDLEWARES = {"crawler.fetchlog.FetchLog": 50, "crawler.guard.RedirectCheck": 60}
SPIDER_MIDDLEWARES = {"crawler.guard.SchemeFilter": 10}
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}  # only http(s): crawler/guard.py
TELNETCONSOLE_ENABLED = False
