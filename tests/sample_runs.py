"""Eval runs of the `sample` strategy for the HTML views' tests: `leanwb eval --strategy
sample --all-samples` on the stand-in REPL, the model a scripted OpenAI-compatible server,
so the pages show real sample and check nodes and real per-problem sample accounts.

Each problem's replies are handed out in turn, one per sample (the server honours `n`).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from conftest import STANDIN_ARGV
from fake_openai_server import FakeOpenAIServer, Reply
from test_eval_runner import cli, latest_run, write_problems

STATEMENTS = {
    "p1": "theorem p1 (x : ℕ) (h₀ : x = 3) : x + 2 = 5",
    "p2": "theorem p2 (a b : ℕ) (h : a < b) : a + 1 ≤ b",
    "p3": "theorem p3 (n : ℕ) (h : n < 2) : n + n < 4",
}
# Lean answers "Unknown identifier `foo`" at line 2, column 12 of the checked text.
UNKNOWN_FOO = "by\n  linarith [foo]"


def block(key: str, body: str) -> str:
    return f"Here it is.\n```lean4\n{STATEMENTS[key]} := {body}\n```"


# Run A: p1 proved by 2 of 8 samples (one text twice), p2 and p3 by 1 of 8.
RUN_A: dict[str, tuple[str, ...]] = {
    "p1": (
        block("p1", "by\n  simp\n  omga"),
        block("p1", "by\n  simp\n  omga"),
        block("p1", "by\n  subst h₀\n  norm_num"),
        "I cannot \u202eprove <script>alert(1)</script> this.",  # refused: no code block
        block("p1", UNKNOWN_FOO),
        block("p1", "by\n  subst h₀\n  norm_num"),
        block("p1", "by\n  simp\n  omga"),
        block("p1", "by\n  simp\n  omga"),
    ),
    "p2": (*(block("p2", UNKNOWN_FOO),) * 7, block("p2", "by\n  omega")),
    "p3": (
        *(block("p3", UNKNOWN_FOO), block("p3", "by\n  simp")) * 3,
        block("p3", UNKNOWN_FOO),
        block("p3", "by\n  omega"),
    ),
}
# Run B: better on p2 and p3.
RUN_B: dict[str, tuple[str, ...]] = {
    "p1": RUN_A["p1"],
    "p2": (block("p2", "by\n  omega"), block("p2", UNKNOWN_FOO)) * 4,
    "p3": (*(block("p3", UNKNOWN_FOO),) * 6, *(block("p3", "by\n  omega"),) * 2),
}


def sample_eval(
    db: Path,
    folder: Path,
    replies: Mapping[str, Sequence[str]],
    samples: int = 8,
) -> int:
    """Run the eval into the database `db`; returns the run's id."""
    with pytest.MonkeyPatch.context() as patch, FakeOpenAIServer() as server:
        patch.setenv("LEANWB_REPL_CMD", shlex.join(STANDIN_ARGV))
        patch.setenv("LEANWB_DB", str(db))
        patch.delenv("LEANWB_CONFIG", raising=False)
        server.enqueue(Reply(texts=("OK",)))  # the preflight request
        for key, texts in replies.items():
            server.on(rf"theorem {key} ", *texts)
        problems = write_problems(
            folder / "set.jsonl",
            {key: f"{STATEMENTS[key]} := by sorry" for key in replies},
        )
        code, output = cli(
            "eval", "--from-file", str(problems), "--strategy", "sample",
            "--generator", "openai:prover", "--base-url", server.base_url,
            "--samples", str(samples), "--all-samples", "--budget", "wall=60,tactic_timeout=5",
        )  # fmt: skip
        assert code == 0, output
        return latest_run(db)
