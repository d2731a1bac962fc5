"""Where a sweep's cells run: a local process pool (the default) or a Ray cluster.

Both call the same `engine.sweep.run_cell` on the same cells, so they give the same records
(a test holds them to it). Each hands every finished record to `on_done` in the calling thread,
as it arrives, and stops early when `stop()` turns true (Ctrl+C): cells not started are dropped,
cells running are abandoned (their workers ended), finished ones have been handed over already.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence

from genstep.engine.config import ScenarioError
from genstep.engine.sweep import Cell, run_cell

POLL_S = 0.2  # how often a waiting backend looks at stop()


class SweepAborted(RuntimeError):
    """The backend failed as a whole (a worker process died, the cluster went away)."""


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


# ---- local: a process pool ------------------------------------------------------------------


def _init_worker() -> None:
    # Ctrl+C belongs to the parent, which stops the sweep between records; a worker that took it
    # too would die mid-cell and break the pool. One BLAS/OpenMP thread: the models are tiny and
    # the workers already fill the cores (torch itself is set per cell, in run_cell).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


def run_local(cells: Sequence[Cell], sweep: dict, workers: int, on_done: Callable[[dict], None],
              stop: Callable[[], bool] = lambda: False) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if not cells:
        return
    # spawn: a fresh interpreter per worker (no forked torch or rich state; the same on every OS)
    ex = ProcessPoolExecutor(max_workers=min(workers, len(cells)), mp_context=mp.get_context("spawn"),
                             initializer=_init_worker)
    clean = False
    try:
        pending = {ex.submit(run_cell, c, sweep) for c in cells}
        while pending and not stop():
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for f in done:
                try:
                    record = f.result()
                except BrokenProcessPool as e:
                    raise SweepAborted(f"a worker process died ({e or 'killed'}); "
                                       f"the runs that finished are kept") from None
                on_done(record)
        clean = not pending
    finally:
        if clean:
            ex.shutdown(wait=True)
        else:  # stopped (Ctrl+C) or failed: drop what has not started, end what is running
            procs = list((getattr(ex, "_processes", None) or {}).values())  # shutdown forgets them
            ex.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
            for proc in procs:
                proc.join(5)


# ---- ray: one task per cell, one CPU each -----------------------------------------------------


def ray_missing() -> str | None:
    """Why the Ray backend cannot run here (None when it can)."""
    try:
        import ray  # noqa: F401
    except ImportError as e:
        return f"ray is not installed ({e}); pip install 'genstep[ray]'"
    return None


def check_ray(address: str | None) -> None:
    """Before anything runs: ray importable, and the cluster at `address` (if any) answering."""
    why = ray_missing()
    if why:
        raise ScenarioError(f"--backend ray: {why}")
    if address:
        _check_reachable(address)


def _check_reachable(address: str) -> None:
    """An address HOST:PORT (or ray://HOST:PORT) must answer a TCP connection within a few
    seconds: Ray itself retries an unreachable cluster for minutes, printing warnings."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto" and the like: Ray resolves (and refuses) those itself, quickly
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=5).close()
    except (OSError, ValueError) as e:
        raise ScenarioError(f"--address {address}: no Ray cluster answers there "
                            f"({getattr(e, 'strerror', None) or e}); start one with `ray start --head`, "
                            f"or leave --address out to start a local one") from None


def run_ray(cells: Sequence[Cell], sweep: dict, workers: int | None, address: str | None,
            on_done: Callable[[dict], None], stop: Callable[[], bool] = lambda: False) -> None:
    """Connect to the cluster at `address` (or start a local one with `workers` CPUs) and run each
    cell as a task with one CPU; at most `workers` at once (default: the cluster's CPUs). The
    cells' scenario must be readable on the cluster's nodes: a shipped name, or a path there."""
    check_ray(address)
    import logging

    import ray

    started = False
    if not ray.is_initialized():
        quiet = {"logging_level": logging.ERROR, "log_to_driver": False, "include_dashboard": False}
        try:
            if address:
                quiet.pop("include_dashboard")
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=workers or default_workers(), **quiet)
        except Exception as e:  # noqa: BLE001 - ray raises several kinds; all mean no cluster
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise ScenarioError(f"--backend ray: cannot start or reach {where} ({type(e).__name__}: "
                                f"{str(e).splitlines()[0] if str(e) else ''})") from None
        started = True
    try:
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        task = ray.remote(num_cpus=1, max_retries=0)(run_cell)
        queue = list(cells)
        running: list = []
        while (queue or running) and not stop():
            while queue and len(running) < workers:
                running.append(task.remote(queue.pop(0), sweep))
            done, running = ray.wait(running, num_returns=1, timeout=POLL_S)
            for ref in done:
                try:
                    record = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - a worker died or the cluster went away
                    raise SweepAborted(f"a Ray task failed ({type(e).__name__}); the runs that finished "
                                       f"are kept") from None
                on_done(record)
        for ref in running:  # stopped: the tasks still running are not waited for
            ray.cancel(ref, force=True)
    finally:
        if started:
            ray.shutdown()
