"""Issue 15 acceptance 2, at small N: 200 seeded hostile requests, 20 at a time, against the demo archive's
site: no 500, no failed connection, and every answer within the SQL time limit (3 s) and a margin."""
from tests.fuzz import fire, requests

LIMIT = 3.0 + 4.0  # Datasette's SQL time limit, plus time for 20 requests at once on two cores


def test_two_hundred_hostile_requests_twenty_at_a_time(site):
    results = fire(site.url, requests(seed=15, n=200), concurrency=20)
    errors = [(path, status) for path, status, _ in results if status >= 500 or status < 0]
    assert errors == []
    slow = [(path, round(seconds, 1)) for path, _, seconds in results if seconds > LIMIT]
    assert slow == []
    assert {status for _, status, _ in results} <= {200, 400, 403, 404, 405}
