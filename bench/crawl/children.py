"""Running several crawler processes at once and measuring all their CPU, workers included.

``os.wait4`` on a child gives its CPU time plus that of the descendants it waited for; its
peak RSS is read from ``/proc/<pid>/status`` (VmHWM) while it runs. Extraction workers are
forked by a multiprocessing forkserver that the crawl does not wait for, so their CPU would
be lost; the bench process therefore makes itself a child subreaper (Linux
``prctl(PR_SET_CHILD_SUBREAPER)``): orphaned descendants are re-parented to it, and it reaps
them and adds their CPU to the run's.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False  # not Linux: orphans' CPU is not counted (said in the report)


@dataclass
class Finished:
    code: int
    cpu_s: float
    peak_rss_mb: float
    wall_s: float
    # the largest peak among the process's descendants (its extraction workers), read about
    # once a second while they run
    descendants_peak_rss_mb: float = 0.0


@dataclass
class Group:
    """Children started together; ``orphan_cpu_s`` is the CPU of descendants reaped later."""

    finished: list[Finished] = field(default_factory=list)
    orphan_cpu_s: float = 0.0

    @property
    def cpu_s(self) -> float:
        return sum(f.cpu_s for f in self.finished) + self.orphan_cpu_s


def _high_water_kib(pid: int) -> int:
    """The process's peak RSS so far (VmHWM), 0 once it is gone.

    Not ``ru_maxrss``: Linux carries the parent's peak RSS over fork and exec into it, so
    every child of a large bench process would report at least the bench's own size.
    """
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _parents() -> dict[int, int]:
    """Every process's parent (field 4 of ``/proc/<pid>/stat``)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            found[int(entry.name)] = int(fields[1])
    return found


def tree_cpu_s(root: int) -> float:
    """CPU seconds of a server process and its children, the exited ones included.

    A server such as PostgreSQL forks a backend per connection and reaps it when it ends;
    a reaped child's CPU is added to its parent's ``cutime``/``cstime``, a live one's is read
    from its own ``/proc/<pid>/stat``. Zero when the process is gone.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in (root, *_descendants({root})):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # utime, stime; for the root also cutime, cstime (its reaped children)
        own = int(fields[11]) + int(fields[12])
        reaped = int(fields[13]) + int(fields[14]) if pid == root else 0
        total += (own + reaped) / tick
    return total


def _children(exclude: set[int]) -> set[int]:
    me = os.getpid()
    return {pid for pid, ppid in _parents().items() if ppid == me and pid not in exclude}


def _descendants(roots: set[int]) -> dict[int, int]:
    """Each descendant of ``roots`` with the root it descends from."""
    parents = _parents()
    found = {}
    for pid in parents:
        at, seen = pid, 0
        while at in parents and seen < 64:
            at, seen = parents[at], seen + 1
            if at in roots:
                found[pid] = at
                break
    return found


def run_group(
    commands: list[list[str]],
    env: dict[str, str],
    logs: list[Path],
    timeout: float,
    keep: set[int],
    cwd: Path,
) -> Group:
    """Start every command at once; wait for all, then for their orphans (not ``keep``)."""
    group = Group()
    started = time.perf_counter()
    procs = []
    for cmd, log in zip(commands, logs, strict=True):
        with log.open("wb") as out:
            procs.append(subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=out))
    results: dict[int, Finished] = {}
    peaks = dict.fromkeys((p.pid for p in procs), 0)
    worker_peaks = dict.fromkeys((p.pid for p in procs), 0)
    deadline = time.monotonic() + timeout
    next_scan = 0.0
    while len(results) < len(procs):
        if time.monotonic() >= next_scan:
            for pid, root in _descendants(set(peaks) - set(results)).items():
                worker_peaks[root] = max(worker_peaks[root], _high_water_kib(pid))
            next_scan = time.monotonic() + 1.0
        for proc in procs:
            if proc.pid in results:
                continue
            peaks[proc.pid] = max(peaks[proc.pid], _high_water_kib(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                wall = time.perf_counter() - started
                peak = (peaks[pid] or usage.ru_maxrss) / 1024
                workers = worker_peaks[pid] / 1024
                results[pid] = Finished(proc.returncode, cpu, peak, wall, workers)
        if time.monotonic() > deadline:
            for proc in procs:
                if proc.pid not in results:
                    proc.kill()
                    proc.wait()
            raise TimeoutError(f"crawls did not finish in {timeout:.0f}s; see {logs[0].parent}")
        time.sleep(0.05)
    group.finished = [results[p.pid] for p in procs]
    # Orphans (a forkserver and its workers) end when they notice their parent is gone.
    keep = keep | {os.getpid()}
    reap_deadline = time.monotonic() + 15
    while (orphans := _children(keep)) and time.monotonic() < reap_deadline:
        for pid in orphans:
            try:
                done, _status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done:
                group.orphan_cpu_s += usage.ru_utime + usage.ru_stime
        time.sleep(0.05)
    return group
