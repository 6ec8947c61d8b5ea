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
import time
import uuid
from urllib.parse import urlparse

from scrapy import signals
from scrapy_redis.queue import PriorityQueue

LEASE_SECONDS = 600  # longer than any download with its retries; a lease past it belongs to a dead process
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
        self.lease_seconds = spider.settings.getfloat("NIANBAO_LEASE_SECONDS", LEASE_SECONDS)
        self._pop = server.register_script(_POP)
        spider.frontier = self  # where the spider's middlewares release its leases

    def __len__(self):
        # Leased requests count: a process stays until every request is handled or its lease comes back.
        return self.server.zcard(self.key) + self.server.zcard(self.deadlines)

    def pop(self, timeout=0):
        taken = self._pop(keys=[self.key, self.leases, self.deadlines], args=[time.time(), self.lease_seconds])
        if not taken:
            return None
        lease, data = taken
        request = self._decode_request(data)
        request.meta["lease"] = lease.decode() if isinstance(lease, bytes) else lease
        return request

    def release(self, lease: str) -> None:
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
        import redis

        self.crawler = crawler
        self.server = redis.Redis.from_url(crawler.settings["REDIS_URL"])
        self.delay = crawler.settings.getfloat("NIANBAO_SITE_DELAY", crawler.settings.getfloat("DOWNLOAD_DELAY"))
        self.slots = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
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
            pipe.zremrangebyscore(slots_key, "-inf", now).zadd(slots_key, {slot: now + LEASE_SECONDS})
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


def settings(url: str, site_delay: float) -> dict:
    """Scrapy settings that put a crawler on the shared frontier."""
    return {
        "REDIS_URL": url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.frontier.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": f"{PREFIX}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{PREFIX}:%(spider)s:dupefilter",
        "SCHEDULER_PERSIST": True,  # the frontier outlives any one process
        "NIANBAO_SITE_DELAY": site_delay,
        "DOWNLOAD_DELAY": 0,  # the delay is held in Redis, across processes
    }


def start_key(spider_name: str) -> str:
    return f"{PREFIX}:{spider_name}:start_urls"


def enqueue(url: str, spider_name: str, start_urls: list[str]) -> int:
    """Push a site's start URLs once for all processes; returns how many."""
    import redis

    server = redis.Redis.from_url(url)
    if start_urls:
        server.rpush(start_key(spider_name), *start_urls)
    return len(start_urls)


def take_start_urls(url: str, spider_name: str) -> list[str]:
    """This process's share of a site's start URLs: each is taken by exactly one process."""
    import redis

    server = redis.Redis.from_url(url)
    taken = []
    while (item := server.lpop(start_key(spider_name))) is not None:
        taken.append(item.decode())
    return taken
