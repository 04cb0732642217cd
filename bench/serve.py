"""Checks per second through `leanwb serve` against calling the pool directly, on the
stand-in REPL. Prints figures only.

    python bench/serve.py [--checks N] [--pool P]

Every check is a distinct snippet (`import Mathlib` + one theorem closed by `omega`), so
a cold pass costs one REPL request per check directly and two through the server (the
snippet, then the gate's `#print axioms` for its theorem); the cached pass sends the same
snippets again, answered from the store's check cache.

* direct: `LeanServer.check` from C threads (C = 1, 8, 32).
* HTTP: C threads each posting one-snippet requests to `/api/check` over one kept-alive
  connection per thread.
* kimina-client's pattern (its `check()` defaults): batches of 8 snippets, 5 threads, a
  new connection per batch (`KiminaClient._query` opens an `httpx.Client` per request),
  emulated here with httpx; and, when `.venv-kimina/` (made by `scripts/test.sh`) exists,
  kimina-client itself in its own process: `KiminaClient.check` and
  `AsyncKiminaClient.check` (the same defaults, batches of 8 and 5 at a time, over one
  connection pool), with the CPU time the client and the server spend per batch.
* the same batches over kept-alive connections: what the server costs without the
  client's ~18 ms of CPU per new `httpx.Client` (it loads the CA certificates).
* the cache where a check costs what a quick Lean check does: snippets that make the
  stand-in sleep 20 ms (its "direct" figure is the pool's bound, processes / 20 ms).
* HTTP overhead per check: at C = 1, the mean time per check through HTTP minus the
  direct one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from prover.config import LeanSettings
from prover.lean import LeanServer

REPO = Path(__file__).resolve().parent.parent
STANDIN = (sys.executable, str(REPO / "tests" / "standin" / "repl.py"))
HEADER = "import Mathlib"
CONCURRENCY = (1, 8, 32)
KIMINA_BATCH, KIMINA_THREADS = 8, 5
SIMULATED_LEAN_S = 0.02  # a quick real check; the stand-in alone answers in ~0.4 ms
_serial = itertools.count()


def snippets(n: int, lean_s: float = 0.0) -> list[str]:
    """`n` snippets never produced before in this run (each needs its own REPL request);
    with `lean_s`, each also makes the stand-in spend that long, as Lean would."""
    start = next(_serial) * 1_000_000
    work = f"standin_slow {lean_s}; " if lean_s else ""
    return [
        f"{HEADER}\n\ntheorem t{i} (x : ℕ) (h : x = {i}) : x + 1 = {i + 1} := by {work}omega"
        for i in range(start, start + n)
    ]


def rate(n: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return n / (time.perf_counter() - started)


def in_threads(threads: int, work: Sequence[object], call: Callable[[object], None]) -> None:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(call, work):
            pass


def direct_rate(lean: LeanServer, n: int, threads: int) -> float:
    bodies = [code.split("\n", 2)[2] for code in snippets(n)]
    return rate(n, lambda: in_threads(threads, bodies, lambda b: lean.check(HEADER, str(b))))


@contextmanager
def server(pool: int, db: Path) -> Iterator[tuple[str, psutil.Process]]:
    """The server's URL and its process (uvicorn runs in it; the REPLs are its children)."""
    env = {**os.environ, "LEANWB_REPL_CMD": shlex.join(STANDIN), "LEANWB_DB": str(db)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("LEANWB_SERVER_KEY", None)
    argv = [sys.executable, "-c", "from prover.cli import main; main()", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*argv, "--pool", str(pool), "--queue", "100000"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().removeprefix("listening on ").strip()
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def post(client: httpx.Client, url: str, codes: Sequence[str]) -> None:
    body = {"snippets": [{"id": str(i), "code": c} for i, c in enumerate(codes)]}
    answer = client.post(f"{url}/api/check", json=body, timeout=600)
    answer.raise_for_status()
    results = answer.json()["results"]
    assert all("response" in r for r in results), results


def http_rate(url: str, codes: Sequence[str], threads: int) -> float:
    clients = {}

    def one(code: object) -> None:
        client = clients.get(threading.get_ident())
        if client is None:  # one per thread, kept alive (making one costs milliseconds)
            client = clients[threading.get_ident()] = httpx.Client()
        post(client, url, [str(code)])

    try:
        return rate(len(codes), lambda: in_threads(threads, codes, one))
    finally:
        for client in clients.values():
            client.close()


def kimina_rate(url: str, codes: Sequence[str], *, new_client_per_batch: bool = True) -> float:
    batches = [codes[i : i + KIMINA_BATCH] for i in range(0, len(codes), KIMINA_BATCH)]
    kept: dict[int, httpx.Client] = {}

    def one(batch: object) -> None:
        if new_client_per_batch:  # as KiminaClient._query: a new httpx.Client per request
            with httpx.Client() as client:
                post(client, url, list(batch))  # type: ignore[call-overload]
            return
        client = kept.get(threading.get_ident())
        if client is None:
            client = kept[threading.get_ident()] = httpx.Client()
        post(client, url, list(batch))  # type: ignore[call-overload]

    try:
        return rate(len(codes), lambda: in_threads(KIMINA_THREADS, batches, one))
    finally:
        for client in kept.values():
            client.close()


KIMINA_PYTHON = REPO / ".venv-kimina" / "bin" / "python"
_TIME_CLIENT = """
import asyncio, json, sys, time
from kimina_client import AsyncKiminaClient, KiminaClient, Snippet
url, kind = sys.argv[1], sys.argv[2]
snips = [Snippet(id=str(i), code=c) for i, c in enumerate(json.load(sys.stdin))]
started, cpu = time.perf_counter(), time.process_time()
if kind == "async":
    async def check():
        client = AsyncKiminaClient(api_url=url, n_retries=1)
        return (await client.check(snips, show_progress=False)).results
    results = asyncio.run(check())
else:
    results = KiminaClient(api_url=url, n_retries=1).check(snips, show_progress=False).results
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
assert all(r.response is not None for r in results), results
print(json.dumps([len(snips) / elapsed, cpu]))
"""


def real_kimina_rate(url: str, codes: Sequence[str], kind: str = "sync") -> tuple[float, float]:
    """Checks per second and the client's CPU seconds for `codes`, sent by kimina-client's
    `KiminaClient.check` (`kind` "sync") or `AsyncKiminaClient.check` ("async") with their
    defaults, in its own Python >= 3.12 process (timed there, without its start-up)."""
    done = subprocess.run(
        [str(KIMINA_PYTHON), "-c", _TIME_CLIENT, url, kind],
        input=json.dumps(list(codes)),
        capture_output=True,
        text=True,
        check=True,
    )
    checks_per_s, cpu_s = json.loads(done.stdout.strip().splitlines()[-1])
    return float(checks_per_s), float(cpu_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=800)
    parser.add_argument("--pool", type=int, default=2)
    args = parser.parse_args()
    n, pool = args.checks, args.pool
    print(f"{n} checks per figure, pool of {pool} stand-in processes, checks/s\n")

    settings = LeanSettings(repl_cmd=STANDIN, project_dir=REPO / "missing", pool_size=pool)
    with LeanServer(settings) as lean:
        direct_rate(lean, 4 * pool, pool)  # start the processes and import the header
        direct = {c: direct_rate(lean, n, c) for c in CONCURRENCY}

    with (
        tempfile.TemporaryDirectory() as tmp,
        server(pool, Path(tmp) / "db.sqlite") as (url, served),
    ):
        with httpx.Client() as client:  # warm: processes started, header imported
            post(client, url, snippets(4 * pool))
        rows = []
        for c in CONCURRENCY:
            codes = snippets(n)
            cold = http_rate(url, codes, c)
            cached = http_rate(url, codes, c)
            rows.append((f"HTTP, {c} thread(s), 1 snippet/request", direct[c], cold, cached))
        codes = snippets(n // 4, SIMULATED_LEAN_S)
        cold, cached = http_rate(url, codes, 8), http_rate(url, codes, 8)
        slow_direct = pool / SIMULATED_LEAN_S
        rows.append(
            (
                f"HTTP, 8 threads, {SIMULATED_LEAN_S * 1000:.0f} ms of Lean each",
                slow_direct,
                cold,
                cached,
            )
        )
        best = max(direct.values())
        codes = snippets(n)
        cold, cached = kimina_rate(url, codes), kimina_rate(url, codes)
        rows.append(("kimina-client pattern (batches of 8, 5 threads)", best, cold, cached))
        codes = snippets(n)
        cold = kimina_rate(url, codes, new_client_per_batch=False)
        cached = kimina_rate(url, codes, new_client_per_batch=False)
        rows.append(("  the same, connections kept alive", best, cold, cached))
        cpu_per_batch: list[str] = []
        if KIMINA_PYTHON.exists():
            for kind, label in (("sync", "KiminaClient"), ("async", "AsyncKiminaClient")):
                codes = snippets(n)
                figures = []
                for _ in ("cold", "cached"):
                    server_cpu = sum(served.cpu_times()[:2])
                    checks_per_s, client_cpu = real_kimina_rate(url, codes, kind)
                    server_cpu = sum(served.cpu_times()[:2]) - server_cpu
                    figures.append((checks_per_s, client_cpu, server_cpu))
                (cold, *cold_cpu), (cached, *cached_cpu) = figures
                rows.append((f"kimina-client 0.2.1 {label}.check() defaults", best, cold, cached))
                batches = n / KIMINA_BATCH
                cpu_per_batch.append(
                    f"  {label}: client {1e3 * cold_cpu[0] / batches:.2f} ms cold, "
                    f"{1e3 * cached_cpu[0] / batches:.2f} ms cached; server (its process, "
                    f"the REPLs apart) {1e3 * cold_cpu[1] / batches:.2f} ms cold, "
                    f"{1e3 * cached_cpu[1] / batches:.2f} ms cached"
                )
            codes = snippets(n // 4, SIMULATED_LEAN_S)
            (cold, _), (cached, _) = (real_kimina_rate(url, codes, "async") for _ in range(2))
            rows.append(
                (
                    f"  AsyncKiminaClient, {SIMULATED_LEAN_S * 1000:.0f} ms of Lean each",
                    slow_direct,
                    cold,
                    cached,
                )
            )

    print(
        f"{'':52} {'direct':>8} {'cold':>8} {'cached':>8} {'cold/direct':>12} {'cached/cold':>12}"
    )
    for label, d, cold, cached in rows:
        print(
            f"{label:52} {d:8.0f} {cold:8.0f} {cached:8.0f} {cold / d:12.2f} {cached / cold:12.1f}"
        )
    print(
        f"{'direct pool, C threads':52} "
        + "  ".join(f"C={c}: {direct[c]:.0f}" for c in CONCURRENCY)
    )
    overhead_us = (1 / rows[0][2] - 1 / direct[1]) * 1e6
    print(f"\nHTTP overhead per check at C=1 (cold): {overhead_us:.0f} µs")
    print("The kimina rows compare with the direct pool's best figure.")
    if cpu_per_batch:
        print("CPU time per batch of 8 with kimina-client:", *cpu_per_batch, sep="\n")
    if not KIMINA_PYTHON.exists():
        print(f"(no {KIMINA_PYTHON}: `bash scripts/test.sh` makes it; kimina-client row left out)")


if __name__ == "__main__":
    main()
