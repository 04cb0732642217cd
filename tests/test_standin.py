"""The stand-in REPL (tests/standin): protocol, ids, logic, error shapes, failure injection."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standin import linear
from standin.expr import (
    FALSE,
    INT,
    NAT,
    TRUE,
    Expr,
    Num,
    Op,
    Var,
    compare,
    eval_closed,
    free_vars,
    subst,
)
from standin.simp import rules_from_fact, simplify

EXAMPLE = "theorem t (x : ℕ) (p q : Prop) (h : x = 3) (hp : p) (hpq : p → q) : x + 2 = 5 ∧ q := by"
HEADER_CMD = {"cmd": "import Mathlib"}

Reply = dict[str, Any]


def _encode(request: Reply | str) -> str:
    if isinstance(request, str):
        return request
    return json.dumps(request, ensure_ascii=False) + "\n\n"


def _replies(stdout: str) -> list[Reply]:
    return [json.loads(chunk) for chunk in stdout.split("\n\n") if chunk.strip()]


def run_session(
    argv: tuple[str, ...],
    requests: list[Reply | str],
    timeout: float = 20,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[list[Reply], int, str]:
    """Feed all requests at once, close stdin, return (replies, exit code, stderr)."""
    proc = subprocess.run(
        argv,
        input="".join(_encode(r) for r in requests).encode(),
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    return _replies(proc.stdout.decode()), proc.returncode, proc.stderr.decode()


class Repl:
    """An interactive session: one request in flight, replies read up to the blank line."""

    def __init__(self, argv: tuple[str, ...]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, request: Reply) -> Reply:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(_encode(request).encode())
        self.proc.stdin.flush()
        lines = []
        while (line := self.proc.stdout.readline()) not in (b"\n", b""):
            lines.append(line)
        return json.loads(b"".join(lines))

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def repl(standin_argv: tuple[str, ...]):  # type: ignore[no-untyped-def]
    session = Repl(standin_argv)
    yield session
    session.close()


def errors(reply: Reply) -> list[str]:
    return [m["data"] for m in reply.get("messages", []) if m["severity"] == "error"]


def infos(reply: Reply) -> list[str]:
    return [m["data"] for m in reply.get("messages", []) if m["severity"] == "info"]


# ---------------------------------------------------------------- framing


def test_multi_line_request_and_unterminated_last_request(standin_argv: tuple[str, ...]) -> None:
    pretty = '{"cmd":\n  "theorem a : 1 + 1 = 2 := by decide"}\n\n'
    last = '{"cmd": "example : True := trivial"}'  # no blank line: still answered before exit
    replies, code, _ = run_session(standin_argv, [pretty, last])
    assert code == 0
    assert replies == [{"env": 0}, {"env": 1}]


def test_raw_line_break_inside_a_string_glues_the_halves(standin_argv: tuple[str, ...]) -> None:
    replies, _, _ = run_session(standin_argv, ['{"cmd": "theorem foo : 1 = 1 := by\nsorry"}\n\n'])
    (message,) = replies[0]["messages"]
    assert message["data"] == "Unknown identifier `bysorry`"
    assert (message["pos"], message["endPos"]) == (
        {"line": 1, "column": 23},
        {"line": 1, "column": 30},
    )


def test_comment_requests_get_no_reply(standin_argv: tuple[str, ...]) -> None:
    requests: list[Reply | str] = ["# a comment\n\n", "-- another\n\n", {"cmd": "#eval 2 + 3"}]
    replies, code, _ = run_session(standin_argv, requests)
    assert code == 0
    assert len(replies) == 1
    assert infos(replies[0]) == ["5"]


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json}\n\n",
        b'{"env": 0}\n\n',
        b'{"cmd": "x", "env": -1}\n\n',
        b'{"cmd": "x", "env": "0"}\n\n',
        b"\n",  # a blank line where a request should start
        b'{"cmd": "\xff"}\n\n',  # invalid UTF-8
    ],
)
def test_bad_input_is_fatal_without_reply(standin_argv: tuple[str, ...], bad: bytes) -> None:
    good = _encode({"cmd": "example : True := trivial"}).encode()
    proc = subprocess.run(standin_argv, input=good + bad + good, capture_output=True, timeout=20)
    assert proc.returncode == 1
    assert _replies(proc.stdout.decode()) == [{"env": 0}]
    assert proc.stderr.decode().startswith("uncaught exception: ")


def test_requests_are_logged_when_asked(standin_argv: tuple[str, ...], tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    requests: list[Reply | str] = [HEADER_CMD, "# comment\n\n", {"cmd": "#eval 1", "env": 0}]
    run_session(standin_argv, requests, env={"STANDIN_LOG": str(log)})
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines if line.startswith("{")] == [
        HEADER_CMD,
        {"cmd": "#eval 1", "env": 0},
    ]
    assert "# comment" in lines


# ---------------------------------------------------------------- ids and errors objects


def test_env_ids_grow_even_after_errors_and_unknown_ids(standin_argv: tuple[str, ...]) -> None:
    requests: list[Reply | str] = [
        {"cmd": "theorem a : 1 = 2 := by rfl"},
        {"cmd": "#check a", "env": 0},
        {"cmd": "#check a", "env": 7},
        {"tactic": "rfl", "proofState": 3},
    ]
    replies, _, _ = run_session(standin_argv, requests)
    assert replies[0]["env"] == 0 and errors(replies[0])
    assert replies[1]["env"] == 1 and infos(replies[1]) == ["a : 1 = 2"]
    assert replies[2] == {"message": "Unknown environment."}
    assert replies[3] == {"message": "Unknown proof state."}


def test_proof_state_ids_share_one_counter(repl: Repl) -> None:
    first = repl.ask(
        {"cmd": "theorem a (p : Prop) (hp : p) : p ∧ p := by\n  constructor <;> sorry"}
    )
    assert [s["proofState"] for s in first["sorries"]] == [0, 1]
    step = repl.ask({"tactic": "exact hp", "proofState": 1})
    assert step["proofState"] == 2
    again = repl.ask({"cmd": "theorem b : True := sorry", "env": first["env"]})
    assert again["sorries"][0]["proofState"] == 3


# ---------------------------------------------------------------- the acceptance example


def test_example_theorem_in_tactic_mode(repl: Repl) -> None:
    header = repl.ask(HEADER_CMD)
    start = repl.ask({"cmd": EXAMPLE + " sorry", "env": header["env"]})
    (sorry,) = start["sorries"]
    assert sorry["goal"] == "x : ℕ\np q : Prop\nh : x = 3\nhp : p\nhpq : p → q\n⊢ x + 2 = 5 ∧ q"
    assert start["messages"][0]["data"] == "declaration uses `sorry`"
    split = repl.ask({"tactic": "constructor", "proofState": sorry["proofState"]})
    left, right = split["goals"]
    assert left.startswith("case left\n") and left.endswith("⊢ x + 2 = 5")
    assert right.startswith("case right\n") and right.endswith("⊢ q")
    assert split["proofStatus"] == "Incomplete: open goals remain"
    for closer in ("omega", "subst h; norm_num", "rw [h]", "simp [h]", "linarith"):
        done_left = repl.ask({"tactic": closer, "proofState": split["proofState"]})
        assert done_left["goals"] == [right], closer
    done_left = repl.ask({"tactic": "omega", "proofState": split["proofState"]})
    finished = repl.ask({"tactic": "exact hpq hp", "proofState": done_left["proofState"]})
    assert finished == {
        "proofState": finished["proofState"],
        "goals": [],
        "proofStatus": "Completed",
    }
    apply_step = repl.ask({"tactic": "apply hpq", "proofState": done_left["proofState"]})
    assert apply_step["goals"] == [right.replace("⊢ q", "⊢ p")]
    closed = repl.ask({"tactic": "exact hp", "proofState": apply_step["proofState"]})
    assert closed["proofStatus"] == "Completed"


def test_simp_and_norm_num_use_a_hypothesis_only_when_given(repl: Repl) -> None:
    """As Mathlib's `normNumAt` and Lean's `simp`: a goal is closed only by simplifying it
    to `True`, never by `assumption` afterwards; hypotheses are rules only as `[h₀]`/`[*]`."""
    start = repl.ask(
        {"cmd": "import Mathlib\ntheorem t (x : ℕ) (h₀ : x = 3) : x + 2 = 5 := by sorry"}
    )
    state = start["sorries"][0]["proofState"]
    for bare in ("norm_num", "simp"):
        reply = repl.ask({"tactic": bare, "proofState": state})
        assert reply["goals"] == ["x : ℕ\nh₀ : x = 3\n⊢ x = 3"], bare
    for closer in ("norm_num [h₀]", "simp [h₀]", "simp [*]", "subst h₀; norm_num", "omega"):
        reply = repl.ask({"tactic": closer, "proofState": state})
        assert reply.get("goals") == [], (closer, reply)
    command = repl.ask({"cmd": "theorem u (x : ℕ) (h₀ : x = 3) : x + 2 = 5 := by norm_num"})
    assert errors(command) == ["unsolved goals\nx : Nat\nh₀ : x = 3\n⊢ x = 3"]


def test_example_theorem_in_command_mode_with_axioms(standin_argv: tuple[str, ...]) -> None:
    proof = EXAMPLE + "\n  constructor\n  · omega\n  · exact hpq hp"
    requests: list[Reply | str] = [
        HEADER_CMD,
        {"cmd": proof, "env": 0},
        {"cmd": "#print axioms t", "env": 1},
    ]
    replies, _, _ = run_session(standin_argv, requests)
    assert replies[1] == {"env": 1}
    assert replies[2]["messages"] == [
        {
            "severity": "info",
            "pos": {"line": 1, "column": 0},
            "endPos": {"line": 1, "column": 6},
            "data": "'t' depends on axioms: [propext]",
        }
    ]


def test_wrong_claims_are_refused(repl: Repl) -> None:
    start = repl.ask({"cmd": "theorem w (x : ℕ) (h : x = 3) : x + 2 = 6 := by sorry"})
    state = start["sorries"][0]["proofState"]
    omega = repl.ask({"tactic": "omega", "proofState": state})
    assert omega["message"].startswith("Lean error:\nomega could not prove the goal")
    linarith = repl.ask({"tactic": "linarith", "proofState": state})
    assert linarith["message"].startswith("Lean error:\nlinarith failed to find a contradiction")
    decide = repl.ask({"tactic": "subst h; decide", "proofState": state})
    assert "is false" in decide["message"]
    simp = repl.ask({"tactic": "simp [h]", "proofState": state})
    assert simp["goals"] == ["x : Nat\nh : x = 3\n⊢ False"]


# ---------------------------------------------------------------- tactic mode shapes


def test_branching_keeps_old_states_valid(repl: Repl) -> None:
    start = repl.ask({"cmd": "theorem b (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"})
    root = start["sorries"][0]["proofState"]
    one = repl.ask({"tactic": "exact ⟨hp, hq⟩", "proofState": root})
    two = repl.ask({"tactic": "exact And.intro hp hq", "proofState": root})
    three = repl.ask({"tactic": "constructor\n· exact hp\n· exact hq", "proofState": root})
    assert {one["proofState"], two["proofState"], three["proofState"]} == {1, 2, 3}
    assert all(r["proofStatus"] == "Completed" for r in (one, two, three))


def test_recovered_error_is_not_success(repl: Repl) -> None:
    start = repl.ask({"cmd": "theorem c (x : Nat) : x = x := by sorry"})
    reply = repl.ask({"tactic": "exact my_fake_premise", "proofState": 0})
    assert reply["goals"] == []
    assert reply["proofStatus"] == "Incomplete: contains sorry"
    (message,) = reply["messages"]
    assert message["data"] == "Unknown identifier `my_fake_premise`"
    assert message["pos"] == message["endPos"] == {"line": 0, "column": 0}
    assert start["env"] == 0


def test_tactic_sorry_and_have_by_sorry(repl: Repl) -> None:
    repl.ask({"cmd": "theorem d (x : Int) : x = x := by sorry"})
    have = repl.ask({"tactic": "have h : x = 1 := by sorry", "proofState": 0})
    assert have["sorries"] == [{"proofState": 1, "goal": "x : Int\n⊢ x = 1"}]
    assert have["goals"] == ["x : Int\nh : x = 1\n⊢ x = x"]
    closed = repl.ask({"tactic": "rfl", "proofState": have["proofState"]})
    assert closed["proofStatus"] == "Incomplete: contains sorry"


def test_thrown_errors_and_parse_failures(repl: Repl) -> None:
    repl.ask({"cmd": "theorem e (p q : Prop) (hp : p) : q := by sorry"})
    assert repl.ask({"tactic": "exat hp", "proofState": 0}) == {
        "message": "Lean error:\n<input>:1:1: unknown tactic"
    }
    mismatch = repl.ask({"tactic": "exact hp", "proofState": 0})
    assert mismatch["message"] == (
        "Lean error:\ntype mismatch\n  hp\nhas type\n  p : Prop\nbut is expected to have type\n"
        "  q : Prop"
    )
    assert repl.ask({"tactic": "assumption", "proofState": 0})["message"].startswith(
        "Lean error:\nTactic `assumption` failed"
    )


def test_self_reference_is_rejected(repl: Repl) -> None:
    command = repl.ask({"cmd": "theorem ex : False := by exact ex"})
    assert errors(command)[0].startswith("fail to show termination for\n  ex")
    repl.ask({"cmd": "theorem ex : False := sorry"})
    step = repl.ask({"tactic": "exact ex", "proofState": 0})
    assert step["goals"] == [] and step["proofStatus"].startswith("Error: kernel type check failed")


# ---------------------------------------------------------------- command mode shapes


def _one_error(reply: Reply) -> Reply:
    (message,) = [m for m in reply["messages"] if m["severity"] == "error"]
    return message


def test_lean3_syntax_gives_parse_errors_at_the_right_place(standin_argv: tuple[str, ...]) -> None:
    requests: list[Reply | str] = [
        {"cmd": "theorem a : 2 + 2 = 4 := by\n  norm_num [foo],\n  simp"},
        {"cmd": "theorem b (p q : Prop) (h : p ∧ q) : p := by\n  cases h with hp hq\n  exact hp"},
        {"cmd": "theorem c (p : Prop) : p → p := by\n  assume h,\n  exact h"},
    ]
    first, second, third = run_session(standin_argv, requests)[0]
    comma = next(m for m in first["messages"] if "','" in m["data"])
    assert comma["data"] == "unexpected token ','; expected command"
    assert comma["pos"] == {"line": 2, "column": 16}
    with_error = _one_error(second)
    assert with_error["data"] == "unexpected identifier; expected '|'"
    assert with_error["pos"] == {"line": 2, "column": 15}
    assert _one_error(third)["pos"] == {"line": 2, "column": 2}


def test_elaboration_errors_have_lean_shapes(standin_argv: tuple[str, ...]) -> None:
    requests: list[Reply | str] = [
        {"cmd": "theorem a (p q : Prop) (hp : p) (hpq : p → q) : q := by\n  exact hpq hq"},
        {"cmd": "theorem b (x : ℕ) (h : x > 7) : x > 3 := by\n  intro y"},
        {"cmd": "theorem c (x : ℕ) : x + 0 = x := by\n  skip"},
        {"cmd": "theorem d : True := trivial\ntheorem d : True := trivial"},
        {"cmd": "import Mathlib", "env": 0},
    ]
    unknown, intro, unsolved, duplicate, late_import = run_session(standin_argv, requests)[0]
    message = _one_error(unknown)
    assert message["data"] == "Unknown identifier `hq`"
    assert (message["pos"], message["endPos"]) == (
        {"line": 2, "column": 12},
        {"line": 2, "column": 14},
    )
    assert _one_error(intro)["data"].startswith("Tactic `introN` failed")
    message = _one_error(unsolved)
    assert message["data"] == "unsolved goals\nx : Nat\n⊢ x + 0 = x"
    assert (message["pos"], message["endPos"]) == (
        {"line": 1, "column": 33},
        {"line": 2, "column": 6},
    )
    assert _one_error(duplicate)["data"] == "'d' has already been declared"
    assert _one_error(late_import)["data"].startswith("invalid 'import' command")


def test_failing_block_is_reported_and_the_proof_continues(standin_argv: tuple[str, ...]) -> None:
    text = (
        "theorem a (x : ℕ) (p : Prop) (hp : p) : x + 1 > x ∧ p := by\n"
        "  constructor\n"
        "  · linarith [hp]\n"
        "  · exact hp\n"
        "  · omega"
    )
    replies, _, _ = run_session(standin_argv, [{"cmd": text}])
    data = errors(replies[0])
    assert len(data) == 1 and data[0] == "No goals to be solved"


def test_sketch_sorries_carry_their_contexts(standin_argv: tuple[str, ...]) -> None:
    text = (
        "theorem s (a b : ℕ) (h : a < b) : a + 1 ≤ b ∧ a ≠ b := by\n"
        "  have h1 : a + 1 ≤ b := by sorry\n"
        "  have h2 : a ≠ b := by sorry\n"
        "  exact ⟨h1, h2⟩"
    )
    replies, _, _ = run_session(standin_argv, [{"cmd": text}])
    first, second = replies[0]["sorries"]
    assert first["goal"] == "a b : Nat\nh : a < b\n⊢ a + 1 ≤ b"
    assert second["goal"] == "a b : Nat\nh : a < b\nh1 : a + 1 ≤ b\n⊢ a ≠ b"
    assert first["pos"] == {"line": 2, "column": 28}
    assert [m["data"] for m in replies[0]["messages"]] == ["declaration uses `sorry`"]


def test_axioms_are_tracked_per_declaration(standin_argv: tuple[str, ...]) -> None:
    text = (
        "axiom magic : 1 = 2\n"
        "theorem uses_magic : 1 = 2 := magic\n"
        "theorem nd : 2 + 2 = 4 := by native_decide\n"
        "theorem holey : 2 + 2 = 4 := by sorry\n"
        "theorem clean (p : Prop) (hp : p) : p ∧ True := ⟨hp, trivial⟩\n"
        "theorem inherits : 2 + 2 = 4 ∧ 1 = 2 := ⟨nd, uses_magic⟩\n"
        "theorem broken : 1 = 1 := by exact nope"
    )
    names = ["uses_magic", "nd", "holey", "clean", "inherits", "broken"]
    requests: list[Reply | str] = [{"cmd": text}]
    requests += [{"cmd": f"#print axioms {n}", "env": 0} for n in names]
    replies, _, _ = run_session(standin_argv, requests)
    assert [infos(r)[0] for r in replies[1:]] == [
        "'uses_magic' depends on axioms: [magic]",
        "'nd' depends on axioms: [Lean.ofReduceBool]",
        "'holey' depends on axioms: [sorryAx]",
        "'clean' does not depend on any axioms",
        "'inherits' depends on axioms: [magic, Lean.ofReduceBool]",
        "'broken' depends on axioms: [sorryAx]",
    ]


def test_pickles_round_trip(standin_argv: tuple[str, ...], tmp_path: Path) -> None:
    requests: list[Reply | str] = [
        {"cmd": "theorem k (p : Prop) (hp : p) : p := by sorry"},
        {"pickleTo": "env.pkl", "env": 0},
        {"pickleTo": "state.pkl", "proofState": 0},
        {"unpickleEnvFrom": "env.pkl"},
        {"unpickleProofStateFrom": "state.pkl"},
    ]
    replies, _, _ = run_session(standin_argv, requests, cwd=tmp_path)
    assert replies[1] == {"env": 0}
    assert replies[2]["proofState"] == 1 and replies[2]["goals"] == ["p : Prop\nhp : p\n⊢ p"]
    assert replies[3] == {"env": 1}
    assert replies[4]["proofState"] == 2


# ---------------------------------------------------------------- failure injection


def test_standin_crash_exits_134_without_reply(standin_argv: tuple[str, ...]) -> None:
    requests: list[Reply | str] = [
        {"cmd": "example : True := trivial"},
        {"cmd": "example : True := by standin_crash"},
        {"cmd": "example : True := trivial"},
    ]
    replies, code, _ = run_session(standin_argv, requests)
    assert code == 134
    assert replies == [{"env": 0}]


def test_standin_hang_never_answers(standin_argv: tuple[str, ...]) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        run_session(standin_argv, [{"cmd": "example : True := by standin_hang"}], timeout=1.5)


def test_standin_spam_and_slow_act_like_skip(repl: Repl) -> None:
    spam = repl.ask({"cmd": "example : True := by\n  standin_spam 5000\n  trivial"})
    assert infos(spam) == ["x" * 5000]
    repl.ask({"cmd": "theorem z : True := sorry"})
    began = time.monotonic()
    slow = repl.ask({"tactic": "standin_slow 0.3", "proofState": 0})
    assert time.monotonic() - began >= 0.3
    assert slow["goals"] == ["⊢ True"] and slow["proofStatus"] == "Incomplete: open goals remain"


def test_standin_alloc_holds_memory(repl: Repl) -> None:
    repl.ask({"cmd": "theorem z : True := sorry"})
    before = psutil.Process(repl.proc.pid).memory_info().rss
    reply = repl.ask({"tactic": "standin_alloc 64", "proofState": 0})
    after = psutil.Process(repl.proc.pid).memory_info().rss
    assert reply["goals"] == ["⊢ True"]
    assert after - before >= 60 * 1024 * 1024


# ---------------------------------------------------------------- recorded transcripts

# Transcripts whose logic the stand-in covers: its replies must equal Lean's exactly.
MATCHING_TRANSCRIPTS = [
    "assumption_proof",
    "by_cases",
    "dup_msg",
    "dup_sorries",
    "have_by_sorry",
    "import_lean",
    "invalid_line_break",
    "invalid_tactic",
    "line_breaks",
    "mathlib_20240209",
    "mathlib_exact",
    "no_goal_sorry_2",
    "proof_branching",
    "proof_branching2",
    "proof_step",
    "readme",
    "self_proof_apply_check",
    "self_proof_exact_check",
    "sorry_hypotheses",
    "tactic_mode_sorry",
    "tactic_sorry",
    "term_sorry",
    "unfinished_tactic_block",
    "unknown_environment",
    "unknown_proof_state",
    "unknown_tactic",
]


@pytest.mark.parametrize("name", MATCHING_TRANSCRIPTS)
def test_replays_recorded_transcript(
    standin_argv: tuple[str, ...], transcripts_dir: Path, name: str
) -> None:
    requests = (transcripts_dir / f"{name}.in").read_text(encoding="utf-8")
    expected = _replies((transcripts_dir / f"{name}.expected.out").read_text(encoding="utf-8"))
    replies, code, stderr = run_session(standin_argv, [requests])
    assert code == 0, stderr
    assert replies == expected


def test_script_runs_from_any_directory(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent / "standin" / "repl.py"
    replies, code, _ = run_session(
        (sys.executable, str(script)), [{"cmd": "#eval 6 * 7"}], cwd=tmp_path
    )
    assert code == 0 and infos(replies[0]) == ["42"]


# ---------------------------------------------------------------- soundness of the automation

_VARIABLES = ("x", "y")


def _terms() -> st.SearchStrategy[Expr]:
    leaves = st.sampled_from([Var(v) for v in _VARIABLES]) | st.integers(0, 6).map(Num)
    return st.recursive(
        leaves,
        lambda inner: st.builds(
            lambda op, a, b: Op(op, (a, b)),
            st.sampled_from(["+", "-", "*", "/", "%"]),
            inner,
            inner | st.integers(1, 4).map(Num),
        ),
        max_leaves=5,
    )


def _props() -> st.SearchStrategy[Expr]:
    atoms = st.builds(
        lambda rel, a, b: Op(rel, (a, b)), st.sampled_from(["=", "≠", "<", "≤"]), _terms(), _terms()
    )
    return st.recursive(
        atoms,
        lambda inner: (
            st.builds(
                lambda op, a, b: Op(op, (a, b)), st.sampled_from(["∧", "∨", "→"]), inner, inner
            )
            | inner.map(lambda p: Op("¬", (p,)))
        ),
        max_leaves=3,
    )


def _holds(prop: Any, values: dict[str, int], integer: bool) -> bool:
    if prop.op in ("∧", "∨", "→"):
        a, b = (_holds(p, values, integer) for p in prop.args)
        return {"∧": a and b, "∨": a or b, "→": not a or b}[prop.op]
    if prop.op == "¬":
        return not _holds(prop.args[0], values, integer)
    as_int = integer and bool(free_vars(prop))  # closed numerals are ℕ, as in Lean
    env = {k: Num(v) for k, v in values.items()}
    sides = [eval_closed(subst(side, env), as_int) for side in prop.args]
    return compare(prop.op, sides[0], sides[1])


def _counterexample(hyps: list[Any], goal: Any, integer: bool) -> dict[str, int] | None:
    values = range(-5, 6) if integer else range(0, 10)
    for x, y in itertools.product(values, values):
        point = {"x": x, "y": y}
        if all(_holds(h, point, integer) for h in hyps) and not _holds(goal, point, integer):
            return point
    return None


def test_linear_arithmetic_never_proves_a_false_goal() -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(_props(), max_size=2), _props(), st.booleans(), st.booleans())
    def check(hyps: list[Any], goal: Any, integer: bool, omega: bool) -> None:
        types = dict.fromkeys(_VARIABLES, INT if integer else NAT)
        proved = linear.prove(
            hyps, goal, types, split_truncation=omega, split_hypotheses=omega, products=not omega
        )
        if proved:
            assert _counterexample(hyps, goal, integer) is None

    check()


def test_simplifier_preserves_truth() -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(_props(), max_size=1), _props())
    def check(hyps: list[Any], goal: Any) -> None:
        rules = [rule for h in hyps for rule in rules_from_fact(h)]
        result = simplify(goal, rules, dict.fromkeys(_VARIABLES, NAT))
        if result in (TRUE, FALSE):
            claim = goal if result == TRUE else type(goal)("¬", (goal,))
            assert _counterexample(hyps, claim, integer=False) is None

    check()
