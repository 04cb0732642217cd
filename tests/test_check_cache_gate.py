"""The soundness gate behind the check cache (`prover.strategies.checked.gate`): answers
are kept in the database across caches, only definitive ones, and only for the options
they were given under."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import event

from prover.generate.registry import make_generator
from prover.graph.check_cache import CheckCache
from prover.graph.store import Store
from prover.lean import LeanServer
from prover.strategies.base import ProofContext
from prover.strategies.checked import definitive, gate
from prover.types import Theorem, Verdict, VerdictKind

THEOREM = Theorem(name="t", header="", statement="theorem t (x : Nat) (h : x = 3) : x + 2 = 5")


@pytest.fixture
def context(lean: LeanServer, store: Store) -> Iterator[ProofContext]:
    recorder = store.begin_attempt(store.begin_run("test", {}), THEOREM, "test")
    cache = CheckCache(store.engine, "pin")
    yield ProofContext(
        lean=lean, generator=make_generator("heuristic"), recorder=recorder, checks=cache
    )
    cache.close()


def test_an_answer_outlives_its_cache(context: ProofContext, store: Store) -> None:
    first = gate(THEOREM, "by\n  omega", context)
    assert first.verdict.proved and not first.cached
    assert context.budget.spent.lean_calls == 1
    assert context.checks is not None
    context.checks.close()  # writes what is queued, as a session's end does
    rerun = replace(context, checks=CheckCache(store.engine, "pin"))
    again = gate(THEOREM, "by\n  omega  -- the same proof", rerun)
    assert again.cached and again.verdict.proved and again.verdict.axioms == first.verdict.axioms
    assert again.key == first.key
    assert rerun.budget.spent.lean_calls == 1  # no second Lean call
    other_lean = replace(rerun, checks=CheckCache(store.engine, "another pin"))
    assert not gate(THEOREM, "by\n  omega", other_lean).cached


def test_lean_errors_are_kept_with_their_messages(context: ProofContext) -> None:
    first = gate(THEOREM, "by\n  simp", context)
    again = gate(THEOREM, "by\n  simp", context)
    assert first.verdict.reason == "lean_error" and again.cached
    assert again.verdict.messages == first.verdict.messages and first.verdict.messages


def test_cached_messages_are_placed_only_on_the_text_they_were_given_for(
    context: ProofContext,
) -> None:
    gate(THEOREM, "by\n  simp", context)
    same = gate(THEOREM, "by\n  simp", context)
    moved = gate(THEOREM, "by\n\n  -- a comment line\n  simp", context)
    assert same.cached and same.exact_text
    assert moved.cached and not moved.exact_text  # one key, but its lines have moved


def test_an_answer_holds_only_for_the_options_it_was_given_under(context: ProofContext) -> None:
    refused = gate(THEOREM, "by\n  native_decide", context)
    assert refused.verdict.reason == "native_decide"
    allowed = replace(context, allow_native_decide=True)
    assert not gate(THEOREM, "by\n  native_decide", allowed).cached


def test_only_definitive_verdicts_are_kept() -> None:
    assert definitive(Verdict(VerdictKind.PROVED))
    assert definitive(Verdict(VerdictKind.REJECTED, reason="contains_sorry"))
    assert definitive(Verdict(VerdictKind.FAILED, reason="lean_error"))
    for passing in ("timeout", "crash", "memory", "repl_error"):
        assert not definitive(Verdict(VerdictKind.FAILED, reason=passing))


def test_a_prefetched_batch_costs_one_query(store: Store) -> None:
    first = CheckCache(store.engine, "pin")
    first.store("a", {"kind": "proved"})
    first.store("b", {"kind": "failed"})
    first.close()
    queries: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            queries.append(statement)

    rerun = CheckCache(store.engine, "pin")
    event.listen(store.engine, "before_cursor_execute", count)
    try:
        rerun.prefetch(["a", "b", "never checked"])
        assert len(queries) == 1
        assert rerun.lookup("a") == {"kind": "proved"} and rerun.lookup("b") == {"kind": "failed"}
        assert rerun.lookup("never checked") is None
        assert len(queries) == 1  # the lookups were answered from memory
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
        rerun.close()
