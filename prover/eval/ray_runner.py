"""Ray workers: the same `ProblemSolver` as the local runner, hosted in Ray actors.

`address="local"` starts a private local Ray instance (one CPU per worker) and shuts
it down afterwards; any other address joins that cluster. Every actor opens the
run's SQLite file itself, so all of them must see it at the same path on a local
disk: run the actors on the node that holds the database (SQLite over a network
filesystem is not safe).

Ray retries an address where nothing listens for minutes, so a cluster address is
probed with a plain TCP connection first, and `ray_connection` connects before the
caller records a run: a wrong address fails at once and leaves nothing behind.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from prover.eval.datasets import Problem
from prover.eval.results import ProblemResult
from prover.eval.runner import EvalError, FailureStreak, ResultCallback
from prover.eval.solver import EvalJob, ProblemSolver

LOCAL = "local"
AUTO = "auto"  # Ray finds the cluster this node belongs to
CLIENT_SCHEME = "ray://"
GCS_PORT = 6379  # Ray's defaults when an address names no port
CLIENT_PORT = 10001
PROBE_S = 5.0


class SolverActor:
    """Hosts one `ProblemSolver` for the life of the actor."""

    def __init__(self, job: EvalJob, worker: str) -> None:
        self.solver = ProblemSolver(job, worker)

    def solve(self, problem: Problem) -> ProblemResult | None:
        return self.solver.solve(problem)

    def close(self) -> None:
        self.solver.close()


def _first_line(exc: BaseException, default: str) -> str:
    """Ray's messages run to many lines; a one-sentence error takes the first."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else default


def host_and_port(address: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT`, `HOST` or `ray://HOST:PORT` -> (host, port)."""
    client = address.startswith(CLIENT_SCHEME)
    rest = address.removeprefix(CLIENT_SCHEME)
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port_text = tail.removeprefix(":")
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not host or (port_text and not port_text.isdigit()):
        raise EvalError(f"--ray {address!r} is not HOST:PORT, ray://HOST:PORT, auto or local")
    return host, int(port_text) if port_text else CLIENT_PORT if client else GCS_PORT


def probe(address: str) -> None:
    """Fail in one sentence when nothing accepts connections at a cluster address."""
    if address in (LOCAL, AUTO):
        return
    host, port = host_and_port(address)
    try:
        with socket.create_connection((host, port), timeout=PROBE_S):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise EvalError(
            f"cannot reach Ray at {address} ({reason}); check the address and that the "
            "cluster is up"
        ) from exc


@contextmanager
def ray_connection(address: str | None, workers: int) -> Iterator[None]:
    """Connected to Ray at `address` inside the block (nothing to do for None); an
    instance started here is shut down on leaving it."""
    if address is None:
        yield
        return
    import ray

    started = _connect(ray, address, workers)
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def _connect(ray: Any, address: str, workers: int) -> bool:
    """Connect to Ray; True when this call started the instance (and must stop it)."""
    if ray.is_initialized():
        return False
    probe(address)
    try:
        if address == LOCAL:
            ray.init(
                num_cpus=workers,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except Exception as exc:  # Ray raises several unrelated types for "cannot connect"
        reason = _first_line(exc, type(exc).__name__)
        raise EvalError(f"cannot start or reach Ray at {address} ({reason})") from exc
    return True


def run_ray(
    job: EvalJob,
    problems: Sequence[Problem],
    workers: int,
    address: str,
    on_result: ResultCallback,
) -> int:
    """Prove `problems` on `workers` Ray actors; returns how many got a final result here
    (stopping as the local runner does after the job's infrastructure failures in a row)."""
    import ray
    from ray.exceptions import RayActorError, RayTaskError

    with ray_connection(address, workers):
        actor_class = ray.remote(num_cpus=1)(SolverActor)
        actors = [actor_class.remote(job, f"ray{i}") for i in range(min(workers, len(problems)))]
        queue = deque(problems)
        in_flight: dict[Any, Any] = {}

        def submit(actor: Any) -> None:
            if queue:
                in_flight[actor.solve.remote(queue.popleft())] = actor

        for actor in actors:
            submit(actor)
        finished = 0
        lost: list[str] = []
        streak = FailureStreak(job.stop_after_failures)
        while in_flight:
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            actor = in_flight.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except RayActorError as exc:
                lost.append(_first_line(exc, "died"))
                actors.remove(actor)
                continue  # the actor is gone; its problem stays pending for --resume
            except RayTaskError as exc:
                cause = getattr(exc, "cause", None) or exc
                raise EvalError(f"a Ray worker failed: {type(cause).__name__}: {cause}") from exc
            if result is not None:
                finished += 1
                on_result(result)
                streak.see(result)
            submit(actor)
        if queue:
            raise EvalError(
                f"every Ray worker died ({lost[0]}); {len(queue)} problem(s) left pending"
            )
        ray.get([actor.close.remote() for actor in actors])
        return finished
