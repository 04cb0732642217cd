"""Background prove jobs for `POST /v1/prove`: queued, run on a few threads, polled by id."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from prover.serve.operations import BadInput, ProveRequest


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # the attempt ran to a verdict (proved or not): see `result`
    FAILED = "failed"  # it could not run: see `error`


class UnknownJob(LookupError):
    """No job with the id asked for."""


class TooManyJobs(RuntimeError):
    """As many jobs are waiting as the server keeps; retry later."""


@dataclass
class Job:
    id: str
    request: ProveRequest
    status: JobStatus = JobStatus.QUEUED
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "theorem": self.request.theorem_name,
            "strategy": self.request.strategy,
            "submitted_at": self.submitted_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "attempt_id": self.result["attempt_id"] if self.result else None,
            "result": self.result,
            "error": self.error,
        }


class Jobs:
    def __init__(
        self, run: Callable[[ProveRequest], dict[str, Any]], *, workers: int, max_waiting: int
    ) -> None:
        self._run = run
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prove")
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._max_waiting = max_waiting

    def submit(self, request: ProveRequest) -> Job:
        with self._lock:
            waiting = sum(job.status is JobStatus.QUEUED for job in self._jobs.values())
            if waiting >= self._max_waiting:
                raise TooManyJobs(f"{waiting} prove jobs are already waiting; retry later")
            job = Job(str(next(self._ids)), request)
            self._jobs[job.id] = job
        self._threads.submit(self._work, job)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob(f"there is no job {job_id!r}")
        return job

    def close(self) -> None:
        """Drop the jobs not started; wait for the running ones (the pool's closing ends them)."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    def wait(self) -> None:
        self._threads.shutdown(wait=True)

    def _work(self, job: Job) -> None:
        job.status, job.started_at = JobStatus.RUNNING, time.time()
        try:
            job.result = self._run(job.request)
            job.status = JobStatus.DONE
        except BadInput as exc:
            job.error, job.status = str(exc), JobStatus.FAILED
        except Exception as exc:  # a job's failure is its answer; the server goes on
            job.error, job.status = f"{type(exc).__name__}: {exc}", JobStatus.FAILED
        finally:
            job.finished_at = time.time()
