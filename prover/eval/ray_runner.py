"""Ray workers: the same `ProblemSolver` as the local runner, hosted in Ray actors.

`address="local"` starts a private local Ray instance (one CPU per worker) and shuts
it down afterwards; any other address joins that cluster. Every actor opens the
run's SQLite file itself, so all of them must see it at the same path on a local
disk: run the actors on the node that holds the database (SQLite over a network
filesystem is not safe).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from prover.eval.datasets import Problem
from prover.eval.results import ProblemResult
from prover.eval.runner import EvalError, ResultCallback
from prover.eval.solver import EvalJob, ProblemSolver

LOCAL = "local"


class SolverActor:
    """Hosts one `ProblemSolver` for the life of the actor."""

    def __init__(self, job: EvalJob, worker: str) -> None:
        self.solver = ProblemSolver(job, worker)

    def solve(self, problem: Problem) -> ProblemResult | None:
        return self.solver.solve(problem)

    def close(self) -> None:
        self.solver.close()


def _connect(ray: Any, address: str, workers: int) -> bool:
    """Connect to Ray; True when this call started the instance (and must stop it)."""
    if ray.is_initialized():
        return False
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
        raise EvalError(f"cannot start or reach Ray at {address!r}: {exc}") from exc
    return True


def run_ray(
    job: EvalJob,
    problems: Sequence[Problem],
    workers: int,
    address: str,
    on_result: ResultCallback,
) -> int:
    """Prove `problems` on `workers` Ray actors; returns how many got a final result here."""
    import ray
    from ray.exceptions import RayActorError, RayTaskError

    started = _connect(ray, address, workers)
    try:
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
        while in_flight:
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            actor = in_flight.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except RayActorError as exc:
                lost.append(str(exc).strip().splitlines()[0] if str(exc).strip() else "died")
                actors.remove(actor)
                continue  # the actor is gone; its problem stays pending for --resume
            except RayTaskError as exc:
                cause = getattr(exc, "cause", None) or exc
                raise EvalError(f"a Ray worker failed: {type(cause).__name__}: {cause}") from exc
            if result is not None:
                finished += 1
                on_result(result)
            submit(actor)
        if queue:
            raise EvalError(
                f"every Ray worker died ({lost[0]}); {len(queue)} problem(s) left pending"
            )
        ray.get([actor.close.remote() for actor in actors])
        return finished
    finally:
        if started:
            ray.shutdown()
