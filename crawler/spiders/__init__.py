"""Spiders Scrapy finds by name (`scrapy crawl site`, Scrapyd's schedule.json). nianbao's own command
builds one ReportSpider per site itself (crawler/run.py); this module is for running under Scrapy's tools."""
