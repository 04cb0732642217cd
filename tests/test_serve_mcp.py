"""`leanwb mcp` through the official SDK's own stdio client: list the tools, call each,
a bad state id, a timeout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from serve_process import LEANWB, leanwb_env

TOOLS = {"check_proof", "goal_state", "run_tactic", "prove", "search_premises"}


def run_session(db: Path, script: Any, *args: str) -> Any:
    """Start `leanwb mcp ARGS` on the stand-in and run `script(session)` against it."""
    params = StdioServerParameters(
        command=LEANWB[0], args=[*LEANWB[1:], "mcp", *args], env=leanwb_env(db)
    )

    async def main() -> Any:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await script(session)

    return anyio.run(main)


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content)


def test_tools_are_listed_with_their_inputs(tmp_path: Path) -> None:
    async def script(session: ClientSession) -> Any:
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in run_session(tmp_path / "db.sqlite", script)}
    assert set(tools) == TOOLS
    assert {"statement", "proof"} <= set(tools["check_proof"].input_schema["required"])
    assert set(tools["run_tactic"].input_schema["required"]) == {"state_id", "tactic"}


def test_check_proof_gives_the_gates_verdict(tmp_path: Path) -> None:
    statement = "theorem t (x : ℕ) (h : x = 3) : x + 2 = 5"

    async def script(session: ClientSession) -> Any:
        proved = await session.call_tool(
            "check_proof", {"statement": statement, "proof": "by omega"}
        )
        cheat = await session.call_tool(
            "check_proof", {"statement": statement, "proof": "by sorry"}
        )
        wrong = await session.call_tool("check_proof", {"statement": statement, "proof": "by rfl"})
        bad = await session.call_tool("check_proof", {"statement": "", "proof": "by omega"})
        return proved, cheat, wrong, bad

    proved, cheat, wrong, bad = run_session(tmp_path / "db.sqlite", script)
    assert proved.structured_content["verdict"] == "proved"
    assert text_of(proved).startswith("proved: t")
    assert cheat.structured_content["verdict"] == "rejected"
    assert cheat.structured_content["reason"] == "contains_sorry"
    assert wrong.structured_content["verdict"] == "failed"
    assert "proof:" in text_of(wrong)  # Lean's message, placed in the proof text
    assert bad.is_error and "--statement is empty" in text_of(bad)


def test_goal_state_and_run_tactic_walk_a_proof(tmp_path: Path) -> None:
    theorem = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"

    async def script(session: ClientSession) -> Any:
        opened = await session.call_tool("goal_state", {"theorem": theorem})
        state = opened.structured_content["state_id"]
        split = await session.call_tool("run_tactic", {"state_id": state, "tactic": "constructor"})
        failed = await session.call_tool(
            "run_tactic", {"state_id": split.structured_content["state_id"], "tactic": "exact hq"}
        )
        done = await session.call_tool(
            "run_tactic",
            {"state_id": split.structured_content["state_id"], "tactic": "exact hp; exact hq"},
        )
        unknown = await session.call_tool("run_tactic", {"state_id": "s999", "tactic": "rfl"})
        bad_theorem = await session.call_tool("goal_state", {"theorem": "not lean at all"})
        return opened, split, failed, done, unknown, bad_theorem

    opened, split, failed, done, unknown, bad_theorem = run_session(tmp_path / "db.sqlite", script)
    assert opened.structured_content["goals"] == ["p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q"]
    assert "⊢ p ∧ q" in text_of(opened)
    assert len(split.structured_content["goals"]) == 2
    assert split.structured_content["state_id"] != opened.structured_content["state_id"]
    assert failed.structured_content["state_id"] is None
    assert failed.structured_content["error"]
    assert "unchanged" in text_of(failed)
    assert done.structured_content["solved"] is True
    assert done.structured_content["goals"] == []
    assert unknown.is_error and "no proof state 's999'" in text_of(unknown)
    assert bad_theorem.is_error


def test_a_tactic_past_the_timeout_is_reported(tmp_path: Path) -> None:
    async def script(session: ClientSession) -> Any:
        opened = await session.call_tool("goal_state", {"theorem": "theorem t : True"})
        state = opened.structured_content["state_id"]
        slow = await session.call_tool(
            "run_tactic", {"state_id": state, "tactic": "standin_slow 5", "timeout_s": 0.5}
        )
        again = await session.call_tool("run_tactic", {"state_id": state, "tactic": "trivial"})
        return slow, again

    slow, again = run_session(tmp_path / "db.sqlite", script, "--timeout", "3")
    assert slow.structured_content["status"] == "timeout"
    # The timed-out process was restarted: its states are gone, and the tool says so.
    assert again.structured_content["status"] == "stale_state"


def test_prove_finds_a_proof_and_records_it(tmp_path: Path) -> None:
    theorem = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"

    async def script(session: ClientSession) -> Any:
        found = await session.call_tool("prove", {"theorem": theorem, "wall_s": 30})
        unknown = await session.call_tool("prove", {"theorem": theorem, "strategy": "nope"})
        return found, unknown

    found, unknown = run_session(tmp_path / "db.sqlite", script)
    assert found.structured_content["verdict"] == "proved"
    assert text_of(found).startswith("proved t (attempt 1)")
    assert found.structured_content["proof"] in text_of(found)
    assert unknown.is_error and "unknown strategy 'nope'" in text_of(unknown)


def test_search_premises_needs_an_index(tmp_path: Path) -> None:
    async def script(session: ClientSession) -> Any:
        return await session.call_tool("search_premises", {"query": "a + b = b + a"})

    result = run_session(tmp_path / "db.sqlite", script)
    assert result.is_error and "--index DIR" in text_of(result)
    json.dumps(result.structured_content)  # None or plain data


@pytest.mark.slow
def test_search_premises_answers_from_an_index(tmp_path: Path) -> None:
    from retrieval.build import build_index
    from retrieval.cache import EmbeddingCache
    from retrieval.corpus import Corpus, CorpusPremise
    from retrieval.encoder import load_encoder

    corpus = Corpus(
        premises=(
            CorpusPremise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n"),
            CorpusPremise("Nat.succ_ne_zero", "theorem Nat.succ_ne_zero (n : ℕ) : n + 1 ≠ 0"),
            CorpusPremise("Or.inl", "theorem Or.inl {a b : Prop} (h : a) : a ∨ b"),
        )
    )
    index = tmp_path / "index"
    build_index(corpus, index, load_encoder(None), cache=EmbeddingCache(tmp_path / "cache"))

    async def script(session: ClientSession) -> Any:
        return await session.call_tool(
            "search_premises", {"query": "addition is commutative: a + b = b + a", "k": 2}
        )

    result = run_session(tmp_path / "db.sqlite", script, "--index", str(index))
    premises = result.structured_content["premises"]
    assert len(premises) == 2 and premises[0]["name"] == "Nat.add_comm"
    assert text_of(result).splitlines()[0].startswith("Nat.add_comm : theorem Nat.add_comm")
