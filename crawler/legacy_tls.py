"""TLS for old government servers (TLS 1.0/1.1, weak ciphers), for the sites that need it only.

OpenSSL 3 refuses TLS 1.0 and 1.1 below security level 0, and Scrapy hands its cipher string to Twisted,
which drops the `@SECLEVEL` directive; this context factory sets it on each new OpenSSL context. A site
gets it with `legacy_tls: true` in the registry (each site runs in its own crawler), so no other site's
connections are weakened. It subclasses Scrapy's own factory (a private class; Scrapy is pinned).
"""
from __future__ import annotations

from scrapy.core.downloader.contextfactory import _ScrapyCertificateOptions, _ScrapyClientContextFactory


class _LegacyCertificateOptions(_ScrapyCertificateOptions):
    def _makeContext(self, *args, **kwargs):
        context = super()._makeContext(*args, **kwargs)
        context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        return context


class LegacyTLSContextFactory(_ScrapyClientContextFactory):
    def _get_cert_options(self) -> _ScrapyCertificateOptions:
        return _LegacyCertificateOptions(**self._get_cert_options_kwargs())
