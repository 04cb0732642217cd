"""The gate's verdict on every Kimina-route result (`gate`), on the stand-in REPL: errors,
sorries, and the axioms of every declared theorem, read by `#print axioms` in the
environment the snippet left; cached with the answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from serve_process import running_server

from prover.verify import STANDARD_AXIOMS
from prover.verify_snippet import declared_theorems

SNIPPETS = [
    {"id": "valid", "code": "import Mathlib\n\ntheorem two : 1 + 1 = 2 := by norm_num"},
    {"id": "sorry", "code": "theorem s (p : Prop) (hp : p) : p := by\n  sorry"},
    {"id": "axiom", "code": "axiom magic : 1 + 1 = 3\n\ntheorem uses : 1 + 1 = 3 := magic"},
    {"id": "error", "code": "import Mathlib\ntheorem three : 1 + 1 = 3 := by norm_num"},
    {"id": "no-theorem", "code": "def f : Nat := 1"},
]


def logged(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def check(url: str, **fields: Any) -> dict[str, dict[str, Any]]:
    answer = httpx.post(f"{url}/api/check", json={"snippets": SNIPPETS, **fields}, timeout=60)
    assert answer.status_code == 200, answer.text
    return {r["id"]: r for r in answer.json()["results"]}


def test_every_result_carries_the_gates_verdict_and_its_cache(tmp_path: Path) -> None:
    log = tmp_path / "standin.log"
    with running_server(tmp_path / "db.sqlite", env={"STANDIN_LOG": str(log)}) as (url, _):
        first = check(url)
        gates = {i: r["gate"] for i, r in first.items()}
        assert gates["valid"]["verdict"] == "proved" and gates["valid"]["reason"] is None
        assert set(gates["valid"]["axioms"]) == {"two"}
        assert set(gates["valid"]["axioms"]["two"]) <= STANDARD_AXIOMS
        assert (gates["sorry"]["verdict"], gates["sorry"]["reason"]) == (
            "rejected",
            "sorry_in_lean",
        )
        assert (gates["axiom"]["verdict"], gates["axiom"]["reason"]) == (
            "rejected",
            "forbidden_axiom",
        )
        assert "magic" in gates["axiom"]["axioms"]["uses"]
        assert (gates["error"]["verdict"], gates["error"]["reason"]) == ("failed", "lean_error")
        assert gates["no-theorem"]["verdict"] == "proved"
        assert gates["no-theorem"]["reason"] == "no_theorem"
        assert "errors and sorries only" in gates["no-theorem"]["detail"]
        # The audits are real REPL requests, each on the env its snippet's check answered.
        audits = [r for r in logged(log) if r.get("cmd", "").startswith("#print axioms")]
        assert sorted(r["cmd"] for r in audits) == ["#print axioms two", "#print axioms uses"]
        assert all("env" in r for r in audits)
        sent = len(logged(log))

        second = check(url)
        assert len(logged(log)) == sent  # no REPL request at all
        assert all(r["cached"] for r in second.values())
        assert {i: r["gate"] for i, r in second.items()} == gates

        fresh = check(url, reuse=False)  # bypasses the cache: the audits run again
        assert not any(r["cached"] for r in fresh.values())
        assert {i: r["gate"] for i, r in fresh.items()} == gates
        assert len(logged(log)) > sent


def test_verify_route_and_host_code_refusal_carry_the_gate(tmp_path: Path) -> None:
    codes = [
        {"custom_id": "p", "proof": SNIPPETS[0]["code"]},
        {"custom_id": "host", "proof": "#eval 1"},
    ]
    with running_server(tmp_path / "db.sqlite") as (url, _):
        answer = httpx.post(f"{url}/verify", json={"codes": codes}, timeout=60)
    results = {r["custom_id"]: r for r in answer.json()["results"]}
    assert results["p"]["gate"]["verdict"] == "proved"
    assert (results["host"]["gate"]["verdict"], results["host"]["gate"]["reason"]) == (
        "rejected",
        "host_code",
    )


def test_declared_theorems_are_named_as_lean_names_them() -> None:
    body = (
        "namespace Foo\ntheorem a : True := trivial\nsection\n"
        "lemma «b c» : True := trivial\nend\nend Foo\n"
        "theorem _root_.x : True := trivial\n-- theorem hidden : True\nexample : True := trivial"
    )
    assert [t.name for t in declared_theorems(body)] == ["Foo.a", "Foo.«b c»", "x"]
    assert declared_theorems(body)[1].parts == ("Foo", "b c")


def test_native_decide_is_refused_unless_allowed_and_the_option_keys_the_cache(
    tmp_path: Path,
) -> None:
    snippet = {"id": "n", "code": "theorem n : 2 + 2 = 4 := by native_decide"}

    def gate(url: str, **fields: Any) -> dict[str, Any]:
        body = {"snippets": [snippet], **fields}
        return httpx.post(f"{url}/api/check", json=body, timeout=60).json()["results"][0]

    with running_server(tmp_path / "db.sqlite") as (url, _):
        refused = gate(url)
        assert (refused["gate"]["verdict"], refused["gate"]["reason"]) == (
            "rejected",
            "native_decide",
        )
        assert "Lean.ofReduceBool" in refused["gate"]["axioms"]["n"]
        allowed = gate(url, allow_native_decide=True)
        assert not allowed["cached"] and allowed["gate"]["verdict"] == "proved"
        assert gate(url)["gate"] == refused["gate"]
