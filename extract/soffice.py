"""LibreOffice conversions, run so that they cannot hang a run or leave orphans.

LibreOffice needs its profile as an absolute `file://` URI: a relative one makes it wait for a profile it
never finds until the timeout. On timeout the whole process group is ended, because `soffice` starts
`soffice.bin` as a child that a plain kill leaves running.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, target: str, outdir: Path, timeout: float = 120) -> Path:
    """`path` converted to `target` (`pdf`, `doc`, `docx:MS Word 2007 XML`) in `outdir`, with a private
    profile there. Raises subprocess.SubprocessError or OSError when LibreOffice fails or times out."""
    outdir = Path(outdir).resolve()
    profile = (outdir / "lo-profile").as_uri()
    process = subprocess.Popen([soffice() or "soffice", f"-env:UserInstallation={profile}", "--headless",
                                "--norestore", "--convert-to", target, "--outdir", str(outdir), str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    finally:
        _end_group(process.pid)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, "soffice", stderr=err)
    result = outdir / f"{Path(path).stem}.{target.split(':')[0]}"
    if not result.exists():
        raise subprocess.SubprocessError(f"LibreOffice wrote no {result.name}")
    return result


def _end_group(pgid: int) -> None:
    """A converter that exited may leave helpers in its group: end them too."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
