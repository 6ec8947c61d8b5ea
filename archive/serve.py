"""`nianbao serve`: the archive published by Datasette, read-only, with the site plugin and metadata."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from archive.build import ARCHIVE
from archive.site.metadata import metadata

TEMPLATES = Path(__file__).resolve().parent / "site" / "templates"
SETTINGS = {
    "suggest_facets": "off",        # suggestions run a query per column on every page: too slow on a big archive
    "sql_time_limit_ms": "3000",    # a visitor's own SQL has 1,000 ms (archive/site/guard.py)
    "max_returned_rows": "200",     # rows of one query or page: 1,000 rows of a wide query took 2 s to render
    "facet_time_limit_ms": "500",
    "default_page_size": "50",
    "truncate_cells_html": "300",
    "allow_download": "on",
    "default_cache_ttl": "60",
}


class ServeError(Exception):
    pass


def datasette_args(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    data = Path(data_dir).resolve()
    archive = data / ARCHIVE
    if not archive.exists():
        raise ServeError(f"no archive in {data}: run `nianbao build --data {data_dir}` first")
    meta = data / "site-metadata.json"
    meta.write_text(json.dumps(metadata(), ensure_ascii=False, indent=1), encoding="utf-8")
    args = ["serve", "-i", str(archive), "--metadata", str(meta), "--template-dir", str(TEMPLATES),
            "--host", host, "--port", str(port)]
    inspect = _inspect_file(archive, data / "site-inspect.json")
    if inspect:
        args += ["--inspect-file", str(inspect)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


def _inspect_file(archive: Path, path: Path) -> Path | None:
    """Datasette's inspect data from the counts the build recorded, so the site starts without counting
    every table of a large archive."""
    db = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        found = dict(db.execute("SELECT key, value FROM _build WHERE key IN ('fingerprint', 'table_counts')"))
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()
    if "table_counts" not in found:
        return None
    tables = {name: {"count": count} for name, count in json.loads(found["table_counts"]).items()}
    path.write_text(json.dumps({archive.stem: {"hash": found.get("fingerprint", ""), "size": archive.stat().st_size,
                                                "file": archive.name, "tables": tables}}), encoding="utf-8")
    return path


def check_port(host: str = "127.0.0.1", port: int = 8001) -> None:
    """A port another program holds, said in one line with what to do (uvicorn would print its own error
    after Datasette had started)."""
    import errno
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as e:
        raise ServeError(f"cannot serve on {host}: {e}; give --host an address of this machine") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is already in use (another nianbao serve?): stop that "
                                 f"program, or choose another port with --port {port + 1}") from None
            if e.errno in (errno.EACCES, errno.EPERM):
                raise ServeError(f"port {port} needs administrator rights: choose a port above 1023 with "
                                 "--port 8001") from None
            raise ServeError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


def serve(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    from datasette.cli import cli

    args = datasette_args(data_dir, host, port)  # says first when there is no archive to serve
    check_port(host, port)
    cli.main(args, prog_name="datasette", standalone_mode=True)
