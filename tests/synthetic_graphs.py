"""Synthetic provenance graphs, recorded through the real recorder.

For the benchmark (search trees of a chosen size) and the tests (a proof assembled
by sketch, search and repair in one connected graph), so both exercise exactly
the code path a strategy uses.
"""

from __future__ import annotations

import random

from prover.budget import Spent
from prover.graph.store import Store
from prover.protocols import EdgeKind, LeanOutcome, NodeKind, NodeStatus, Recorder
from prover.types import (
    Message,
    Position,
    Premise,
    Provenance,
    Severity,
    Theorem,
    Verdict,
    VerdictKind,
)

TACTICS = (
    "simp",
    "ring",
    "omega",
    "linarith",
    "norm_num",
    "intro h",
    "constructor",
    "exact h",
    "rw [Nat.add_comm]",
    "induction n with\n| zero => simp\n| succ k ih => omega",
    "nlinarith [sq_nonneg (a - b)]",
    "aesop",
)
MODEL = Provenance(
    generator="transformers",
    model="demo/tactic-model-1.3b",
    settings=(("temperature", 0.8), ("num_samples", 8), ("max_new_tokens", 128)),
    prompt_hash="3f9a0c1d2e4b5a69",
    premises=(
        Premise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n", "Init", 0.91),
        Premise(
            "Nat.succ_le_of_lt",
            "theorem Nat.succ_le_of_lt {n m : ℕ} : n < m → n + 1 ≤ m",
            "Init",
            0.74,
        ),
        Premise(
            "sq_nonneg", "theorem sq_nonneg (a : α) : 0 ≤ a ^ 2", "Mathlib.Algebra.Order.Ring", 0.52
        ),
    ),
)

# The theorem of the composite proof the page tests open.
CLOSE_THEOREM = Theorem(
    "close", "import Mathlib", "theorem close (a b : ℕ) : a ≤ b + 1 ∧ b ≤ a + 1"
)


def _error(text: str, line: int = 1, column: int = 2) -> Message:
    return Message(Severity.ERROR, Position(line, column), Position(line, column + 4), text)


def record_search_tree(
    recorder: Recorder, theorem: Theorem, nodes: int, *, seed: int = 0, branching: int = 4
) -> int:
    """Record a best-first search of about `nodes` proof states that ends in a proof,
    with failed tactics, states reached twice, and the VERIFY step; returns the
    verified proof-text node."""
    rng = random.Random(seed)
    root = recorder.node(NodeKind.STATEMENT, theorem.statement, key="statement")
    first = recorder.node(
        NodeKind.PROOF_STATE, "⊢ goal 0", key="goals:0", goals=["x : ℕ\n⊢ goal 0"]
    )
    recorder.edge(EdgeKind.TACTIC, [root], first, "intro x", strategy="search")
    frontier = [first]
    made = 2
    while made < nodes:
        parent = frontier.pop(rng.randrange(len(frontier))) if len(frontier) > 1 else frontier[0]
        for _ in range(branching):
            tactic = rng.choice(TACTICS)
            score = -rng.random() * 4
            if rng.random() < 0.3:
                recorder.edge(
                    EdgeKind.TACTIC,
                    [parent],
                    None,
                    tactic,
                    strategy="search",
                    proposer=MODEL,
                    score=score,
                    lean=LeanOutcome(
                        "lean_error", rng.uniform(5, 400), (_error(f"{tactic} failed"),)
                    ),
                )
                continue
            index = rng.randrange(made + 1) if rng.random() < 0.05 else made
            goal = f"h{index} : P {index}\n⊢ goal {index}"
            child = recorder.node(NodeKind.PROOF_STATE, goal, key=f"goals:{index}", goals=[goal])
            recorder.edge(
                EdgeKind.TACTIC,
                [parent],
                child,
                tactic,
                strategy="search",
                proposer=MODEL,
                score=score,
                lean=LeanOutcome("open_goals", rng.uniform(5, 400)),
            )
            if index == made:
                made += 1
                frontier.append(child)
    solved = recorder.node(
        NodeKind.PROOF_STATE, "no goals", key="goals:done", status=NodeStatus.SOLVED
    )
    recorder.edge(
        EdgeKind.TACTIC,
        [frontier[-1]],
        solved,
        "omega",
        strategy="search",
        proposer=MODEL,
        score=-0.1,
        lean=LeanOutcome("completed", 12.0),
    )
    proof = recorder.node(
        NodeKind.PROOF_TEXT,
        theorem.with_proof("by\n  intro x\n  omega"),
        key="verified",
        status=NodeStatus.SOLVED,
    )
    recorder.edge(
        EdgeKind.VERIFY,
        [solved],
        proof,
        "soundness gate",
        strategy="search",
        lean=LeanOutcome("proved", 80.0),
        meta={"axioms": ["propext", "Quot.sound"]},
    )
    recorder.flush()
    return proof


def record_composite_proof(store: Store, run_id: int, theorem: Theorem) -> int:
    """Record a proof found by sketch + search + repair, as those strategies and the
    attempt runner record it, and finish the attempt proved; returns its id."""
    rec = store.begin_attempt(run_id, theorem, "auto")
    llm = Provenance(
        "openai",
        "demo-prover-7b",
        (("temperature", 0.6), ("max_tokens", 2048)),
        "a1b2c3d4e5f60718",
    )
    rec.event("attempt_start", f"auto on {theorem.name}")
    root = rec.node(NodeKind.STATEMENT, theorem.statement, key="statement")
    draft = rec.node(NodeKind.DRAFT, "Split into the two inequalities, then combine.")
    rec.edge(
        EdgeKind.DRAFT, [root], draft, "draft an informal proof", strategy="sketch", proposer=llm
    )
    sketch_text = "by\n  have h1 : a ≤ b + 1 := sorry\n  have h2 : b ≤ a + 1 := sorry\n  omega"
    sketch = rec.node(NodeKind.SKETCH, sketch_text, status=NodeStatus.OPEN)
    rec.edge(
        EdgeKind.SKETCH,
        [draft],
        sketch,
        sketch_text,
        strategy="sketch",
        proposer=llm,
        lean=LeanOutcome("contains_sorry", 310.0),
    )
    holes = []
    for name, goal in (("h1", "a b : ℕ\n⊢ a ≤ b + 1"), ("h2", "a b : ℕ\n⊢ b ≤ a + 1")):
        hole = rec.node(NodeKind.SUBGOAL, goal, key=f"goals:{goal}", goals=[goal])
        rec.edge(EdgeKind.SUBGOAL, [sketch], hole, f"hole {name}", strategy="sketch")
        holes.append(hole)
    # Search on the first hole: a failed tactic, a loop back, then a proof.
    rec.edge(
        EdgeKind.TACTIC,
        [holes[0]],
        None,
        "linarith",
        strategy="search",
        proposer=MODEL,
        score=-1.2,
        lean=LeanOutcome("lean_error", 45.0, (_error("linarith failed to find a contradiction"),)),
    )
    mid = rec.node(NodeKind.PROOF_STATE, "a b : ℕ\n⊢ a ≤ 1 + b", key="goals:a b : ℕ\n⊢ a ≤ 1 + b")
    rec.edge(
        EdgeKind.TACTIC,
        [holes[0]],
        mid,
        "rw [Nat.add_comm]",
        strategy="search",
        proposer=MODEL,
        score=-0.7,
        lean=LeanOutcome("open_goals", 21.0),
    )
    rec.edge(
        EdgeKind.TACTIC,
        [mid],
        holes[0],
        "rw [Nat.add_comm]",
        strategy="search",
        proposer=MODEL,
        score=-0.9,
        lean=LeanOutcome("open_goals", 19.0),
    )
    done1 = rec.node(NodeKind.PROOF_STATE, "no goals", key="solved:h1", status=NodeStatus.SOLVED)
    rec.edge(
        EdgeKind.TACTIC,
        [mid],
        done1,
        "omega",
        strategy="search",
        proposer=MODEL,
        score=-0.2,
        lean=LeanOutcome("completed", 33.0),
    )
    done2 = rec.node(NodeKind.PROOF_STATE, "no goals", key="solved:h2", status=NodeStatus.SOLVED)
    rec.edge(
        EdgeKind.AUTOMATION,
        [holes[1]],
        done2,
        "omega",
        strategy="automation",
        lean=LeanOutcome("completed", 18.0),
    )
    rec.set_status(holes[0], NodeStatus.SOLVED)
    rec.set_status(holes[1], NodeStatus.SOLVED)
    joined = "by\n  have h1 : a ≤ b + 1 := by omega\n  have h2 : b ≤ a + 1 := by omega\n  omga"
    first = rec.node(NodeKind.PROOF_TEXT, theorem.with_proof(joined), status=NodeStatus.FAILED)
    rec.edge(
        EdgeKind.RECOMBINE,
        [sketch, done1, done2],
        first,
        joined,
        strategy="sketch",
        lean=LeanOutcome("lean_error", 420.0, (_error("unknown tactic 'omga'", 4, 2),)),
    )
    fixed_body = joined.replace("omga", "omega")
    fixed = rec.node(NodeKind.PROOF_TEXT, theorem.with_proof(fixed_body))
    rec.edge(
        EdgeKind.REPAIR_FIX,
        [first],
        fixed,
        "replace unknown tactic 'omga' with 'omega'",
        strategy="repair",
        meta={"rule": "typo"},
    )
    verified = rec.node(
        NodeKind.PROOF_TEXT,
        theorem.with_proof(fixed_body),
        key=f"verified:{fixed_body}",
        status=NodeStatus.SOLVED,
    )
    rec.edge(
        EdgeKind.VERIFY,
        [fixed],
        verified,
        "soundness gate",
        strategy="auto",
        lean=LeanOutcome("proved", 95.0),
        meta={"reason": None, "axioms": ["propext"]},
    )
    rec.event("attempt_end", "proved")
    store.finish_attempt(
        rec.attempt_id,
        Verdict(VerdictKind.PROVED, proof=fixed_body, axioms=("propext",)),
        Spent(
            lean_calls=9, lean_s=1.0, generator_calls=3, tokens_in=2400, tokens_out=380, wall_s=4.2
        ),
    )
    return rec.attempt_id


def record_sketch_holes(store: Store, run_id: int, theorem: Theorem, holes: int) -> int:
    """Record a sketch with `holes` holes whose step labels are long and alike (`hole at
    line N, column 2: have hN …`), each proved by one tactic; returns the attempt id."""
    rec = store.begin_attempt(run_id, theorem, "sketch")
    root = rec.node(NodeKind.STATEMENT, theorem.statement, key="statement")
    lines = [f"  have h{i} : x + {i} = {i} + x := sorry" for i in range(holes)]
    sketch_text = "by\n" + "\n".join(lines) + "\n  omega"
    sketch = rec.node(NodeKind.SKETCH, sketch_text, status=NodeStatus.OPEN)
    rec.edge(EdgeKind.SKETCH, [root], sketch, sketch_text, strategy="sketch")
    for i in range(holes):
        goal = f"case h{i}\nx : ℕ\nh : x > 0\n⊢ x + {i} = {i} + x"
        hole = rec.node(NodeKind.SUBGOAL, goal, key=f"hole:{i}", goals=[goal])
        rec.edge(
            EdgeKind.SUBGOAL,
            [sketch],
            hole,
            f"hole at line {i + 2}, column 2: have h{i} : x + {i} = {i} + x",
            strategy="sketch",
        )
        done = rec.node(
            NodeKind.PROOF_STATE, "no goals", key=f"solved:{i}", status=NodeStatus.SOLVED
        )
        rec.edge(
            EdgeKind.TACTIC,
            [hole],
            done,
            "rw [Nat.add_comm]",
            strategy="search",
            lean=LeanOutcome("completed", 5.0),
        )
    rec.flush()
    store.finish_attempt(rec.attempt_id, Verdict(VerdictKind.FAILED, "demo"), Spent())
    return rec.attempt_id
