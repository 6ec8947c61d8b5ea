"""Scrapy spiders that find annual reports on government portals (see issue 3)."""
