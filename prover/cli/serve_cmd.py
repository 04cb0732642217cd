"""`leanwb serve`: the checking service (Kimina-compatible and the workbench's own routes)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from prover.cli.common import ApiKeyOption, BaseUrlOption, DbOption, ReplCmdOption, fail

SERVER_KEY_ENV = "LEANWB_SERVER_KEY"
GeneratorOption = Annotated[
    str | None,
    typer.Option(
        "--generator",
        help="Tactic generator for prove (default: the config file's, else heuristic).",
    ),
]
DEFAULT_MAX_BODY = 10 * 1024 * 1024


def serve_cmd(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0: a free one.")] = 8000,
    pool: Annotated[int, typer.Option("--pool", min=1, help="REPL processes.")] = 2,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1, help="Largest request body in bytes (else 413).")
    ] = DEFAULT_MAX_BODY,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Most seconds per check; caps each request's."),
    ] = 60.0,
    queue: Annotated[
        int,
        typer.Option("--queue", min=1, help="Checks admitted at once; beyond it, 429."),
    ] = 256,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the check cache.")
    ] = False,
    generator: GeneratorOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    repl_cmd: ReplCmdOption = None,
    db: DbOption = None,
) -> None:
    """Serve checks over HTTP: Kimina's /api/check and /verify, and /v1/… (docs/serve.md).

    With $LEANWB_SERVER_KEY set, every route but /health needs `Authorization: Bearer <key>`.
    Prints `listening on http://HOST:PORT` first; stops cleanly on SIGTERM.
    """
    # Imported here: FastAPI and uvicorn are loaded only by the commands that serve.
    from prover.api import Workbench
    from prover.serve.server import serve
    from prover.serve.service import ServeOptions, Service

    options = ServeOptions(
        pool_size=pool, max_timeout_s=timeout, queue_limit=queue, cache=not no_cache
    )
    workbench = Workbench(
        repl_cmd=repl_cmd, db=db, generator=generator, base_url=base_url, api_key=api_key
    )
    service = Service(workbench, options)  # WorkbenchError: one sentence, from the CLI group
    try:
        serve(
            service,
            host=host,
            port=port,
            api_key=os.environ.get(SERVER_KEY_ENV) or None,
            max_body=max_body,
            grace_s=timeout + 5,
        )
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def mcp_cmd(
    pool: Annotated[int, typer.Option("--pool", min=1, help="REPL processes.")] = 1,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Most seconds per Lean call.")
    ] = 60.0,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Premise index for search_premises (`leanwb index build`)."),
    ] = None,
    generator: GeneratorOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    repl_cmd: ReplCmdOption = None,
    db: DbOption = None,
) -> None:
    """Serve MCP tools over stdio: check_proof, goal_state, run_tactic, prove, search_premises."""
    from prover.api import Workbench
    from prover.serve.mcp_tools import McpOptions, build_server
    from prover.serve.service import ServeOptions, Service

    workbench = Workbench(
        repl_cmd=repl_cmd, db=db, generator=generator, base_url=base_url, api_key=api_key
    )
    service = Service(workbench, ServeOptions(pool_size=pool, max_timeout_s=timeout))
    try:
        build_server(service, McpOptions(index_dir=index)).run("stdio")
    finally:
        service.close()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    app.command("mcp")(mcp_cmd)
