"""The HTTP routes of `leanwb serve`: the Kimina-compatible ones and the workbench's own.

Every handler answers JSON; a malformed request gets 422 with a sentence saying what is
wrong, a full pool 429 with `Retry-After`, an unexpected failure 500 with the
exception's type (the traceback stays in the server's log).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from prover.budget import Limits
from prover.serve.checker import PoolFull, SnippetCheck
from prover.serve.guards import ASGIApp, LimitBody, RequireKey
from prover.serve.jobs import TooManyJobs, UnknownJob
from prover.serve.kimina import CheckRequest, VerifyRequest, verify_result
from prover.serve.operations import BadInput, prepare_prove
from prover.serve.service import NotFound, Service

log = logging.getLogger("leanwb.serve")


class ClaimCheck(BaseModel):
    """`POST /v1/check`: what `leanwb check --header/--statement/--proof` takes."""

    model_config = ConfigDict(extra="forbid")

    header: str = ""
    statement: str = Field(description="The declaration up to `:=`")
    proof: str = Field(description="The text after `:=`")
    allow_native_decide: bool = False
    timeout: float | None = Field(None, gt=0, description="Seconds (capped by the server's)")
    disable_cache: bool = False


class Budget(BaseModel):
    """What one prove job may spend (unset: unbounded, except the wall clock)."""

    model_config = ConfigDict(extra="forbid")

    wall_s: float | None = Field(60.0, gt=0)
    lean_calls: int | None = Field(None, ge=1)
    tokens: int | None = Field(None, ge=1)
    expansions: int | None = Field(None, ge=1)
    tactic_timeout_s: float = Field(30.0, gt=0, description="Capped by the server's --timeout")


class ProveJob(BaseModel):
    """`POST /v1/prove`: what `leanwb prove` takes."""

    model_config = ConfigDict(extra="forbid")

    theorem: str = Field(description="A declaration; its proof, if any, is ignored")
    strategy: str = "bfs"
    options: dict[str, Any] = Field(default_factory=dict, description="The strategy's options")
    budget: Budget = Field(default_factory=Budget)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            at = error["loc"][-1] if error.get("loc") else "?"
            parts.append(f"the body is not valid JSON (at character {at}: {reason})")
            continue
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "malformed request: " + "; ".join(parts)


def create_app(service: Service, *, api_key: str | None, max_body: int) -> ASGIApp:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="Lean Workbench server",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(RequestValidationError)
    async def _malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": _validation_message(exc), "errors": errors}, 422)

    @app.exception_handler(PoolFull)
    async def _full(_: Request, exc: PoolFull) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse({"detail": str(exc)}, 429, headers=headers)

    @app.exception_handler(TooManyJobs)
    async def _too_many_jobs(_: Request, exc: TooManyJobs) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": "10"})

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 404)

    @app.exception_handler(UnknownJob)
    async def _unknown_job(_: Request, exc: UnknownJob) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 404)

    @app.exception_handler(BadInput)
    async def _bad_input(_: Request, exc: BadInput) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected failure")
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, 500)

    @app.get("/health")
    @app.get("/health/", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/check")
    @app.post("/api/check/", include_in_schema=False)
    async def api_check(request: CheckRequest) -> JSONResponse:
        snippets = [SnippetCheck(s.id, s.code) for s in request.snippets]
        checker = service.checker
        results = await checker.check_snippets(
            snippets,
            checker.timeout(request.timeout),
            use_cache=request.reuse,
            allow_native_decide=request.allow_native_decide,
        )
        return JSONResponse({"results": results})

    @app.post("/verify")
    @app.post("/one_pass_verify_batch", include_in_schema=False)
    async def verify(request: VerifyRequest) -> JSONResponse:
        snippets = [SnippetCheck(str(c.custom_id), c.text) for c in request.codes]
        checker = service.checker
        results = await checker.check_snippets(
            snippets,
            checker.timeout(request.timeout),
            use_cache=not request.disable_cache,
            allow_native_decide=request.allow_native_decide,
        )
        return JSONResponse({"results": [verify_result(r["id"], r) for r in results]})

    @app.post("/v1/check")
    async def v1_check(request: ClaimCheck) -> JSONResponse:
        payload, cached = await service.check_claim(
            request.header,
            request.statement,
            request.proof,
            allow_native_decide=request.allow_native_decide,
            timeout=service.checker.timeout(request.timeout),
            use_cache=not request.disable_cache,
        )
        return JSONResponse(payload, headers={"X-Leanwb-Cache": "hit" if cached else "miss"})

    @app.post("/v1/prove", status_code=202)
    async def v1_prove(request: ProveJob) -> JSONResponse:
        budget = request.budget
        limits = Limits(
            wall_s=budget.wall_s,
            lean_calls=budget.lean_calls,
            tokens=budget.tokens,
            expansions=budget.expansions,
            tactic_timeout_s=service.checker.timeout(budget.tactic_timeout_s),
        )
        prepared = prepare_prove(request.theorem, request.strategy, request.options, limits)
        return JSONResponse(service.jobs.submit(prepared).as_dict(), 202)

    @app.get("/v1/jobs/{job_id}")
    async def v1_job(job_id: str) -> JSONResponse:
        return JSONResponse(service.jobs.get(job_id).as_dict())

    @app.get("/v1/attempts/{attempt_id}/graph")
    async def v1_graph(attempt_id: int) -> JSONResponse:
        return JSONResponse(await service.checker.on_store(service.graph_json, attempt_id))

    @app.get("/v1/attempts/{attempt_id}/graph.html")
    async def v1_graph_html(attempt_id: int) -> HTMLResponse:
        return HTMLResponse(await service.checker.on_store(service.graph_html, attempt_id))

    guarded: ASGIApp = LimitBody(app, max_body)
    if api_key:
        guarded = RequireKey(guarded, api_key)
    return guarded
