"""The crawl frontier in Redis, shared by any number of crawler processes on any number of machines.

`nianbao crawl --redis redis://HOST:PORT/N` runs Scrapy with scrapy-redis's Scheduler and RFPDupeFilter: every
process takes its requests from one queue per site and one duplicate filter per site, both in Redis, so a page
is fetched once whichever process finds it. Start URLs are pushed once (`--enqueue`); a spider's `start()` reads
them from Redis (scrapy-redis 0.9 defines only `start_requests()`, which Scrapy ≥ 2.16 no longer calls).

Two things scrapy-redis does not do are done here:

- **Leases.** scrapy-redis removes a request from the queue when a process takes it, so a process killed with
  SIGKILL loses whatever it held. Here a taken request is *leased*: it stays in Redis with a deadline until the
  process has handled it (its callback's output scheduled, or its failure recorded); a lease that expires (its
  process died) is put back in the queue and another process takes it.
- **Politeness across processes.** Scrapy's delay and concurrency are per process: two crawlers would hit a small
  government server twice as hard. Each request first takes the host's token in Redis (`SET NX PX delay`), so
  requests to one host start at least the site's delay apart across all processes, and holds one of the host's
  concurrency slots (a sorted set of leases with expiry) while it runs.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from urllib.parse import urlparse

from scrapy import signals
from scrapy_redis.queue import PriorityQueue

LEASE_SECONDS = 600  # longer than any download with its retries; a lease past it belongs to a dead process


def lease_seconds() -> float:
    return float(os.environ.get("NIANBAO_LEASE_SECONDS") or LEASE_SECONDS)
PREFIX = "nianbao"

# Take the first request and lease it, atomically; expired leases go back to the queue first.
_POP = """
local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, id in ipairs(expired) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then redis.call('ZADD', KEYS[1], 0, data) end
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return nil end
redis.call('ZREM', KEYS[1], first[1])
local id = redis.sha1hex(first[1])
redis.call('HSET', KEYS[2], id, first[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
return {id, first[1]}
"""


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue, with a lease on every request taken (see the module's docstring)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.leases, self.deadlines = f"{key}:leases", f"{key}:deadlines"
        self.lease_seconds = lease_seconds()
        self._pop = server.register_script(_POP)
        self.held: set[str] = set()  # this process's leases, renewed while it lives
        self._renewal = None
        spider.frontier = self  # where the spider's middlewares release its leases

    def _renew(self) -> None:
        """Push the deadlines of this process's leases on: a request waiting here for its host's delay is not
        taken for a dead process's; only a process that stopped renewing (it died) loses its leases."""
        from redis.exceptions import RedisError

        if self.held:
            deadline = time.time() + self.lease_seconds
            try:
                self.server.zadd(self.deadlines, {lease: deadline for lease in self.held}, xx=True)
            except RedisError as e:  # Redis gone for longer than the client's retries: try again next time
                self.spider.logger.warning("leases not renewed: %s", e)

    def __len__(self):
        # Queued requests only: a process whose queue is empty goes idle, and its spider stays open while other
        # processes hold leases (ReportSpider.idle), polling for what they find or what comes back.
        return self.server.zcard(self.key)

    def push(self, request):
        # A redirect or a retry carries its request's lease: once the new request is queued, the old one is done.
        lease = request.meta.pop("lease", None)
        super().push(request)
        if lease:
            self.release(lease)

    def pop(self, timeout=0):
        taken = self._pop(keys=[self.key, self.leases, self.deadlines], args=[time.time(), self.lease_seconds])
        if not taken:
            return None
        lease, data = taken
        request = self._decode_request(data)
        request.meta["lease"] = lease = lease.decode() if isinstance(lease, bytes) else lease
        self.held.add(lease)
        if self._renewal is None:
            from twisted.internet import task

            self._renewal = task.LoopingCall(self._renew)
            self._renewal.start(self.lease_seconds / 3, now=False)
        return request

    def release(self, lease: str) -> None:
        self.held.discard(lease)
        pipe = self.server.pipeline()
        pipe.hdel(self.leases, lease).zrem(self.deadlines, lease)
        pipe.execute()

    def clear(self):
        self.server.delete(self.key, self.leases, self.deadlines)


def release(spider, request) -> None:
    lease = request.meta.get("lease")
    queue = getattr(spider, "frontier", None)
    if lease and queue is not None:
        queue.release(lease)
        request.meta["lease"] = None


class ReleaseLeases:
    """Spider middleware: a request's lease is released once its callback's output (the requests it found)
    has been scheduled, or once its error has been handled."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self._dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _dropped(self, request, spider):
        release(spider, request)

    async def process_spider_output(self, response, result):
        async for item in result:
            yield item
        release(self.crawler.spider, response.request)

    def process_spider_exception(self, response, exception):
        release(self.crawler.spider, response.request)


class Politeness:
    """Downloader middleware: the site's delay and concurrency held in Redis, honoured by every process."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = connect(crawler.settings["REDIS_URL"])
        self.delay = crawler.settings.getfloat("NIANBAO_SITE_DELAY", crawler.settings.getfloat("DOWNLOAD_DELAY"))
        self.slots = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        # A slot outlives its download only when its process died: then it frees itself after the longest
        # download could have taken.
        self.hold = min(crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 60) + 5, lease_seconds())
        self.token = uuid.uuid4().hex

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        host = urlparse(request.url).hostname or ""
        slots_key = f"{PREFIX}:slots:{host}"
        slot = f"{self.token}:{hashlib.sha1(request.url.encode()).hexdigest()}:{time.time()}"
        while True:  # a concurrency slot: expired holders (dead processes) are dropped first
            now = time.time()
            pipe = self.server.pipeline()
            pipe.zremrangebyscore(slots_key, "-inf", now).zadd(slots_key, {slot: now + self.hold})
            pipe.zrank(slots_key, slot)
            rank = pipe.execute()[-1]
            if rank is not None and rank < self.slots:
                break
            self.server.zrem(slots_key, slot)
            await asyncio.sleep(0.05)
        request.meta["politeness_slot"] = (slots_key, slot)
        if self.delay > 0:
            key = f"{PREFIX}:next:{host}"
            while not self.server.set(key, self.token, nx=True, px=max(1, int(self.delay * 1000))):
                wait = self.server.pttl(key)
                await asyncio.sleep(max(wait, 5) / 1000)
        return None

    def _free(self, request):
        held = request.meta.pop("politeness_slot", None)
        if held:
            self.server.zrem(*held)

    def process_response(self, request, response):
        self._free(request)
        return response

    def process_exception(self, request, exception):
        self._free(request)
        release(self.crawler.spider, request)  # a download that failed for good: its lease is done too
        return None


def connect(url: str):
    """A Redis client that rides out a Redis restart: every command is retried with backoff for about a minute
    (BusyLoadingError: a restarted server still reading its append-only file)."""
    import redis

    return redis.Redis.from_url(url, **REDIS_PARAMS)


def _redis_params() -> dict:
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
    from redis.retry import Retry

    return {"retry": Retry(ExponentialBackoff(cap=2.0, base=0.1), RETRIES),
            "retry_on_error": [ConnectionError, TimeoutError, BusyLoadingError],
            "socket_timeout": 30, "socket_connect_timeout": 10, "health_check_interval": 15}


RETRIES = 40  # ~1 minute of a Redis that is gone before a command fails
REDIS_PARAMS = _redis_params()


def settings(url: str, site_delay: float) -> dict:
    """Scrapy settings that put a crawler on the shared frontier (merged over the site's own settings)."""
    return {
        "REDIS_URL": url,
        "REDIS_PARAMS": REDIS_PARAMS,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.frontier.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": f"{PREFIX}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{PREFIX}:%(spider)s:dupefilter",
        "SCHEDULER_PERSIST": True,  # the frontier outlives any one process
        "NIANBAO_SITE_DELAY": site_delay,
        "DOWNLOAD_DELAY": 0,  # the delay is held in Redis, across processes
        "AUTOTHROTTLE_ENABLED": False,
    }


DOWNLOADER_MIDDLEWARES = {"crawler.frontier.Politeness": 950}  # last before the download: it times the requests
SPIDER_MIDDLEWARES = {"crawler.frontier.ReleaseLeases": 5}  # first to see a request's output leave the spider


def keys(spider_name: str) -> dict[str, str]:
    """A site's keys in Redis: its start URLs, requests, leases, duplicate filter, and what decides its status
    (columns read, columns robots.txt forbids, the wall that blocked it, the reports found)."""
    base = f"{PREFIX}:{spider_name}"
    return {"start_urls": f"{base}:start_urls", "requests": f"{base}:requests",
            "leases": f"{base}:requests:leases", "deadlines": f"{base}:requests:deadlines",
            "dupefilter": f"{base}:dupefilter", "columns_read": f"{base}:columns_read",
            "forbidden": f"{base}:forbidden", "blocked": f"{base}:blocked", "reports": f"{base}:reports"}


CRAWL_KEY = f"{PREFIX}:crawl"  # {"id": ..., "sites": [...]}: the crawl the processes share


class FrontierBusy(RuntimeError):
    """A crawl is still under way on this Redis; the message is one line."""


def pending(server, spider_name: str) -> int:
    """Start URLs, queued and leased requests a site still has."""
    k = keys(spider_name)
    return server.llen(k["start_urls"]) + server.zcard(k["requests"]) + server.zcard(k["deadlines"])


def publish(url: str, sites: list, spider_names: list[str]) -> str:
    """Start a crawl on the frontier: the sites (as the registry gives them) and their start URLs pushed once
    for all processes, and what a finished earlier crawl left (its duplicate filter) cleared. Refused while an
    earlier crawl still has requests. Returns the crawl's id."""
    import dataclasses
    import json
    from datetime import datetime, timezone

    server = connect(url)
    previous = server.get(CRAWL_KEY)
    if previous:
        names = json.loads(previous)["spiders"]
        left = sum(pending(server, name) for name in names)
        if left:
            raise FrontierBusy(f"crawl {json.loads(previous)['id']} on {url} still has {left} requests: let its "
                               "crawlers finish (nianbao crawl --redis …) before enqueueing another")
        for name in names:
            server.delete(*keys(name).values())
    crawl_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    pipe = server.pipeline()
    for site, name in zip(sites, spider_names):
        pipe.delete(*keys(name).values())
        pipe.rpush(keys(name)["start_urls"], *site.start_urls)
    pipe.set(CRAWL_KEY, json.dumps({"id": crawl_id, "sites": [dataclasses.asdict(s) for s in sites],
                                    "spiders": spider_names}, ensure_ascii=False))
    pipe.execute()
    return crawl_id


def published(url: str) -> tuple[str, list[dict]] | None:
    """The crawl the processes on this Redis share: its id and its sites (dicts of crawler.sites.Site)."""
    import json

    raw = connect(url).get(CRAWL_KEY)
    if not raw:
        return None
    crawl = json.loads(raw)
    return crawl["id"], crawl["sites"]


def take_start_url(server, spider_name: str) -> str | None:
    """One of a site's start URLs, taken by exactly one process."""
    item = server.lpop(keys(spider_name)["start_urls"])
    return item.decode() if isinstance(item, bytes) else item
