"""`nianbao schedule`: crawl + build on a cron expression, in the foreground, with APScheduler.

One job, never two at once (APScheduler's `max_instances=1`, and the data directory's run lock against
any other process); a run that comes due while one is still going is skipped, not queued. Five cron
fields as crontab has them; six put seconds first.
"""
from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path


class ScheduleError(Exception):
    pass


def trigger(expression: str):
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(expression)
        if len(fields) == 6:
            names = ("second", "minute", "hour", "day", "month", "day_of_week")
            return CronTrigger(**dict(zip(names, fields)))
    except ValueError as e:
        raise ScheduleError(f"bad cron expression {expression!r}: {e}") from None
    raise ScheduleError(f"a cron expression has 5 fields (or 6, seconds first), not {len(fields)}: {expression!r}")


def run(expression: str, sites: Path, data: Path, runs: int | None = None, workers: int | None = None) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from nianbao import pipeline
    from nianbao.logs import say

    if not sites.is_file():
        raise ScheduleError(f"no such sites file: {sites}")
    when = trigger(expression)
    scheduler = BlockingScheduler()
    done = []
    lock = threading.Lock()

    def job():
        stamp = datetime.now().isoformat(timespec="seconds")
        say(f"[{stamp}] run starts")
        try:
            summary = pipeline.crawl_and_build(sites, data, log=lambda line: say(f"  {line}"), workers=workers)
            say(f"[{datetime.now().isoformat(timespec='seconds')}] run ends after {summary['seconds']} s")
        except pipeline.Busy as e:
            say(f"[{stamp}] {e}")
        except Exception as e:  # noqa: BLE001 - a failed run is reported; the schedule goes on
            say(f"[{stamp}] run failed: {type(e).__name__}: {e}")
        with lock:
            done.append(stamp)
            if runs and len(done) >= runs:
                scheduler.shutdown(wait=False)

    scheduler.add_job(job, when, max_instances=1, coalesce=True, misfire_grace_time=None)
    say(f"scheduled: {expression} (next run {when.get_next_fire_time(None, datetime.now().astimezone())}); "
        "Ctrl-C to stop")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0
