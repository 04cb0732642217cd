"""The gate's verdict on every Kimina-route result (`gate`), on the stand-in REPL: errors,
sorries, and the axioms of every declared theorem, read by `#print axioms` in the
environment the snippet left; cached with the answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from serve_process import running_server

from prover.types import CallStatus, CheckResult, Message, Position, Severity
from prover.verify import STANDARD_AXIOMS
from prover.verify_lexer import tokenize
from prover.verify_snippet import judge_snippet, read_declarations

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
        assert gates["no-theorem"]["verdict"] == "rejected"  # nothing to certify
        assert gates["no-theorem"]["reason"] == "no_theorem"
        assert "nothing to certify" in gates["no-theorem"]["detail"]
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
    log = tmp_path / "standin.log"

    def verify(url: str, **fields: Any) -> dict[str, dict[str, Any]]:
        answer = httpx.post(f"{url}/verify", json={"codes": codes, **fields}, timeout=60)
        return {r["custom_id"]: r for r in answer.json()["results"]}

    with running_server(tmp_path / "db.sqlite", env={"STANDIN_LOG": str(log)}) as (url, _):
        results = verify(url)
        sent = len(logged(log))
        assert verify(url)["p"]["cached"] and len(logged(log)) == sent
        bypassed = verify(url, disable_cache=True)  # checked by Lean again
        assert not bypassed["p"]["cached"] and len(logged(log)) > sent
        assert bypassed["p"]["gate"] == results["p"]["gate"]
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
    declared = read_declarations(tokenize(body)).theorems
    assert [t.name for t in declared] == ["Foo.a", "Foo.«b c»", "x"]
    assert declared[1].parts == ("Foo", "b c")
    mutual = "namespace Foo\nmutual\ntheorem a : True := trivial\nend\ntheorem b : True := trivial"
    assert [t.name for t in read_declarations(tokenize(mutual)).theorems] == ["Foo.a", "Foo.b"]


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


def test_a_cached_answer_is_only_served_to_a_snippet_of_the_same_lines(tmp_path: Path) -> None:
    # Without a header and with a header of one blank line, the body is the same text;
    # the messages' lines differ by one, so the two answers are cached apart.
    bare = "theorem three : 1 + 1 = 3 := by norm_num"

    def error_line(url: str, code: str) -> tuple[int, bool]:
        body = {"snippets": [{"id": "e", "code": code}]}
        result = httpx.post(f"{url}/api/check", json=body, timeout=60).json()["results"][0]
        return result["response"]["messages"][0]["pos"]["line"], result["cached"]

    with running_server(tmp_path / "db.sqlite") as (url, _):
        assert error_line(url, bare) == (1, False)
        assert error_line(url, "\n" + bare) == (2, False)
        assert error_line(url, "\n" + bare) == (2, True)
        assert error_line(url, bare) == (1, True)


def test_examples_and_declared_axioms_are_never_passed_unaudited(tmp_path: Path) -> None:
    codes = {
        "example": "import Mathlib\n\nexample : 1 + 1 = 2 := by norm_num",
        "native-example": "example : 2 + 2 = 4 := by native_decide",
        "beside-a-theorem": (
            "theorem fine : True := trivial\n\nexample : 2 + 2 = 4 := by native_decide"
        ),
        "axiom-alone": "axiom cheat : 1 = 2",
        "axiom-in-example": "axiom cheat : 1 = 2\nexample : 1 = 2 := cheat",
        "unused-axiom": "axiom cheat : 1 = 2\ntheorem fine : True := trivial",
        "name-on-next-line": "theorem\n  later : 2 + 2 = 4 := by native_decide",
        "debug-option": "set_option debug.skipKernelTC true\ntheorem t : True := trivial",
    }
    body = {"snippets": [{"id": i, "code": c} for i, c in codes.items()]}
    with running_server(tmp_path / "db.sqlite") as (url, _):
        results = httpx.post(f"{url}/api/check", json=body, timeout=60).json()["results"]
    by_id = {r["id"]: r for r in results}
    for id in codes:  # Lean accepts every one of them
        assert "error" not in by_id[id] and not by_id[id]["response"].get("sorries"), id
    gates = {i: r["gate"] for i, r in by_id.items()}
    assert {i: (g["verdict"], g["reason"]) for i, g in gates.items()} == {
        "example": ("rejected", "unaudited_example"),
        "native-example": ("rejected", "unaudited_example"),
        "beside-a-theorem": ("rejected", "unaudited_example"),
        "axiom-alone": ("rejected", "declares_axiom"),
        "axiom-in-example": ("rejected", "declares_axiom"),
        "unused-axiom": ("rejected", "declares_axiom"),
        "debug-option": ("rejected", "debug_option"),
        "name-on-next-line": ("rejected", "native_decide"),  # audited all the same
    }
    assert "line 3" in gates["example"]["detail"]  # lines of the snippet, header included
    assert "line 3" in gates["beside-a-theorem"]["detail"]
    assert set(gates["beside-a-theorem"]["axioms"]) == {"fine"}  # the theorem was audited
    assert "`axiom cheat` (line 1)" in gates["unused-axiom"]["detail"]


def test_a_theorem_is_audited_by_the_name_lean_reads_or_rejected() -> None:
    body = (
        "theorem ok : True := trivial\n"
        "theorem\n  later : 2 + 2 = 4 := by native_decide\n"  # the name on the next line
        'macro "m" : command => `(theorem $n : True := trivial)'  # no name to read
    )
    declared = read_declarations(tokenize(body))
    assert [t.name for t in declared.theorems] == ["ok", "later"]
    axiom = read_declarations(tokenize("axiom\n  cheat : False")).axioms
    assert [(a.text, a.line) for a in axiom] == [("cheat", 2)]
    assert [(k.text, k.line) for k in declared.unnamed] == [("theorem", 4)]
    printed = [
        Message(Severity.INFO, Position(1, 0), None, "'ok' does not depend on any axioms"),
        Message(Severity.INFO, Position(2, 0), None, "'later' depends on axioms: [propext]"),
    ]
    audit = CheckResult(CallStatus.OK, env=2, messages=tuple(printed))
    verdict = judge_snippet(
        CheckResult(CallStatus.OK, env=1), declared, audit, allow_native_decide=False
    )
    assert (verdict.kind.value, verdict.reason) == ("rejected", "axioms_unknown")
    assert "`theorem` on line 4" in verdict.detail
    assert set(verdict.axioms) == {"ok", "later"}  # both named ones were audited
