"""Peak resident memory of each server process, from /proc (Linux only)."""

import re
from pathlib import Path


def peak_rss_mib(pids: dict[str, int]) -> dict[str, float]:
    """Each live process's high-water mark of resident memory (VmHWM), in MiB."""
    peaks = {}
    for name, pid in pids.items():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s*(\d+) kB", status, re.MULTILINE)
        if found:
            peaks[name] = int(found.group(1)) / 1024
    return peaks
