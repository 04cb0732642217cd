"""`leanwb mcp`: the workbench as MCP tools over stdio, on the official Python SDK.

Each tool answers with a short text a model can read and the same facts as structured
content for clients that take it. A mistake of the caller's (a text with no theorem, an
unknown state id, an unknown strategy) comes back as a tool error with a sentence saying
what to do, never as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from prover.budget import Limits
from prover.errors import WorkbenchError
from prover.serve.operations import BadInput, Goals, ProofStates, check_claim, prepare_prove
from prover.serve.service import Service
from prover.session import load_retriever
from prover.types import TacticStatus

if TYPE_CHECKING:
    from prover.protocols import Retriever

INSTRUCTIONS = """Lean 4 through the Lean Workbench. check_proof judges a finished proof
(Lean must accept it and the soundness gate must find no sorry, axiom or other cheat).
goal_state opens a theorem and returns its goals and a state id; run_tactic applies one
tactic to a state id and returns the new goals and a new state id. prove searches for a
proof with a strategy and a budget. search_premises finds lemmas when an index is set."""

Seconds = Annotated[float, Field(gt=0, description="Seconds Lean may take (capped by the server)")]


@dataclass(frozen=True)
class McpOptions:
    index_dir: Path | None = None


def _result(text: str, data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def _goals_text(goals: Goals) -> str:
    if not goals.goals:
        return "No goals left: the proof is complete."
    shown = "\n\n".join(f"goal {i + 1}:\n{g}" for i, g in enumerate(goals.goals))
    return f"state {goals.state_id}, {len(goals.goals)} goal(s):\n\n{shown}"


def build_server(service: Service, options: McpOptions) -> MCPServer:
    lean = service.checker.lean
    states = ProofStates(lean)
    timeout = service.checker.timeout
    server = MCPServer("leanwb", instructions=INSTRUCTIONS)
    loaded: list[Retriever] = []

    def retriever() -> Retriever:
        if options.index_dir is None:
            raise ToolError("no premise index is configured: start `leanwb mcp --index DIR`")
        if not loaded:
            try:  # loaded once: the encoder takes seconds to load
                loaded.append(load_retriever(options.index_dir))
            except WorkbenchError as exc:
                raise ToolError(str(exc)) from None
        return loaded[0]

    @server.tool()
    def check_proof(
        statement: Annotated[str, Field(description="The declaration up to `:=`")],
        proof: Annotated[str, Field(description="The text after `:=`, e.g. `by simp`")],
        header: Annotated[str, Field(description="Imports and opens before it")] = "",
        allow_native_decide: bool = False,
        timeout_s: Seconds = 60.0,
    ) -> CallToolResult:
        """Check a proof with Lean and the soundness gate: proved, failed or rejected."""
        try:
            report = check_claim(
                service.workbench,
                header,
                statement,
                proof,
                allow_native_decide=allow_native_decide,
                timeout=timeout(timeout_s),
            )
        except BadInput as exc:
            raise ToolError(str(exc)) from None
        lines = [f"{report['verdict']}: {report['theorem']}"]
        if report["verdict"] == "proved":
            lines.append(f"axioms: {', '.join(report['axioms']) or 'none'}")
        else:
            lines.append(f"reason: {report['reason']} — {report['detail']}")
        for m in report["messages"]:
            lines.append(f"{m['source']}:{m['line']}:{m['column']} {m['severity']}: {m['text']}")
        return _result("\n".join(lines), report)

    @server.tool()
    def goal_state(
        theorem: Annotated[
            str, Field(description="A declaration, e.g. `theorem t (n : ℕ) : n + 0 = n`")
        ],
        timeout_s: Seconds = 60.0,
    ) -> CallToolResult:
        """Open a theorem in tactic mode: its goals and a state id for run_tactic."""
        try:
            goals = states.start(theorem, timeout(timeout_s))
        except BadInput as exc:
            raise ToolError(str(exc)) from None
        return _result(_goals_text(goals), goals.as_dict())

    @server.tool()
    def run_tactic(
        state_id: Annotated[str, Field(description="A state id from goal_state or run_tactic")],
        tactic: Annotated[str, Field(description="One tactic (or a `;`-separated sequence)")],
        timeout_s: Seconds = 30.0,
    ) -> CallToolResult:
        """Apply a tactic to a proof state: the new goals and state id, or Lean's error."""
        try:
            goals, result = states.run(state_id, tactic, timeout(timeout_s))
        except BadInput as exc:
            raise ToolError(str(exc)) from None
        errors = [m.text for m in result.messages if m.is_error]
        data: dict[str, Any] = {
            "status": result.status.value,
            "solved": result.status is TacticStatus.COMPLETED,
            "state_id": goals.state_id if goals else None,
            "goals": list(goals.goals) if goals else [],
            "error": result.error or ("\n".join(errors) if errors else None),
        }
        if goals is None:  # Lean's answer, not a failure of the tool: the state is still usable
            text = f"{result.status.value}: {data['error'] or 'the tactic did not apply'}"
            return _result(f"{text}\n(state {state_id} is unchanged)", data)
        return _result(_goals_text(goals), data)

    @server.tool()
    def prove(
        theorem: Annotated[str, Field(description="A declaration; its proof is ignored")],
        strategy: Annotated[str, Field(description="bfs, mps, sketch, repair or auto")] = "bfs",
        wall_s: Annotated[float, Field(gt=0, description="Wall-clock budget in seconds")] = 60.0,
        lean_calls: Annotated[int | None, Field(ge=1, description="Most Lean calls")] = None,
    ) -> CallToolResult:
        """Search for a proof within a budget; every proof passes the soundness gate."""
        limits = Limits(wall_s=wall_s, lean_calls=lean_calls, tactic_timeout_s=timeout(30.0))
        try:
            request = prepare_prove(theorem, strategy, {}, limits)
            report = service.prove(request)
        except BadInput as exc:
            raise ToolError(str(exc)) from None
        if report["verdict"] == "proved":
            text = (
                f"proved {report['theorem']} (attempt {report['attempt_id']}):\n{report['proof']}"
            )
        else:
            text = (
                f"{report['verdict']} {report['theorem']} (attempt {report['attempt_id']}): "
                f"{report['reason']} — {report['detail']}"
            )
        return _result(text, report)

    @server.tool()
    def search_premises(
        query: Annotated[str, Field(description="A goal or a description of the lemma")],
        k: Annotated[int, Field(ge=1, le=100)] = 10,
    ) -> CallToolResult:
        """Lemmas from the premise index most relevant to the query (needs --index)."""
        premises = retriever().search(query, k)
        found = [{"name": p.name, "statement": p.statement, "score": p.score} for p in premises]
        text = "\n".join(f"{p['name']} : {p['statement']}" for p in found) or "no premises"
        return _result(text, {"premises": found})

    return server
