"""Scrapy spiders that find annual reports on government portals."""


def _offline_public_suffixes() -> None:
    """Scrapy's cookie middleware splits domains with tldextract, which fetches the Public Suffix List from the
    network on first use; portals and CI have no such network. The list bundled with tldextract is used instead,
    so no request ever leaves for it."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


_offline_public_suffixes()
