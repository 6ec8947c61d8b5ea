"""The demo: an offline portal on 127.0.0.1 that `nianbao run`, the tests and the benchmarks crawl, and the
documents it serves. It stands beside the product (crawler → extract → archive) and is read by none of it."""
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
