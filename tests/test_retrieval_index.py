"""FAISS kinds, masked search, index directories, the embedding cache, BM25, fusion, metrics.

A deterministic bag-of-tokens encoder stands in for a neural model here (the real
MiniLM and ByT5 paths are tested in test_retrieval_minilm.py and test_retrieval_byt5.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval.build import build_index
from retrieval.cache import EmbeddingCache
from retrieval.corpus import Corpus, CorpusPremise, TextFormat
from retrieval.encoder import Backend, Embeddings, EncoderInfo
from retrieval.errors import CorpusError, IndexLoadError, ModelMismatchError, RetrievalError
from retrieval.evaluate import EvalPair, evaluate, load_pairs, winner
from retrieval.index import (
    EXACT_MAX_PREMISES,
    IndexKind,
    IndexParams,
    build_faiss,
    read_faiss,
    resolve_kind,
    search,
    write_faiss,
)
from retrieval.lexical import BM25, tokenize
from retrieval.manifest import MANIFEST_FILE, Manifest
from retrieval.retriever import Channel, Retriever, fuse
from retrieval.store import INDEX_FILE, Hit, PremiseIndex

DIM = 64
QUICK = IndexParams(hnsw_ef_construction=40)  # a faster HNSW build for small test indexes


class TokenEncoder:
    """Hashes lexical tokens into a normalised count vector; counts the texts it encodes."""

    def __init__(self, salt: str = "a") -> None:
        self.salt = salt
        self.encoded = 0
        self.fail_after: int | None = None
        self.info = EncoderInfo(
            model=f"token-{salt}",
            source="test",
            backend=Backend.SENTENCE_TRANSFORMERS,
            fingerprint=hashlib.sha256(salt.encode()).hexdigest(),
            dimension=DIM,
            max_length=512,
            text_format=TextFormat.PLAIN,
        )

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ) -> Embeddings:
        if self.fail_after is not None and self.encoded + len(texts) > self.fail_after:
            raise RuntimeError("encoder died")
        vectors = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                digest = hashlib.blake2b(f"{self.salt}{token}".encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % DIM] += 1.0
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        self.encoded += len(texts)
        if on_progress is not None:
            on_progress(len(texts))
        return Embeddings(vectors, self.info.fingerprint, self.info.model)


FACTS = [
    ("Lib.Algebra", "add_comm", "theorem add_comm (a b : G) : a + b = b + a"),
    ("Lib.Algebra", "mul_comm", "theorem mul_comm (a b : G) : a * b = b * a"),
    ("Lib.Algebra", "add_assoc", "theorem add_assoc (a b c : G) : a + b + c = a + (b + c)"),
    ("Lib.Nat", "Nat.gcd_comm", "theorem Nat.gcd_comm (m n : ℕ) : Nat.gcd m n = Nat.gcd n m"),
    ("Lib.Nat", "Nat.factorial_pos", "theorem Nat.factorial_pos (n : ℕ) : 0 < n !"),
    (
        "Lib.List",
        "List.reverse_reverse",
        "theorem List.reverse_reverse (l : List α) : l.reverse.reverse = l",
    ),
    (
        "Lib.List",
        "List.length_append",
        "theorem List.length_append (s t : List α) : (s ++ t).length = s.length + t.length",
    ),
    ("Lib.Real", "Real.exp_pos", "theorem Real.exp_pos (x : ℝ) : 0 < Real.exp x"),
]
IMPORTS = {"Lib.Algebra": (), "Lib.Nat": ("Lib.Algebra",), "Lib.List": (), "Lib.Real": ("Lib.Nat",)}


def facts_corpus() -> Corpus:
    premises = tuple(
        CorpusPremise(name, code, module=module, start=(i, 0), end=(i, 50))
        for i, (module, name, code) in enumerate(FACTS, start=1)
    )
    return Corpus(premises=premises, imports=IMPORTS)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, TokenEncoder]:
    encoder = TokenEncoder()
    out = tmp_path / "index"
    build_index(facts_corpus(), out, encoder, cache=EmbeddingCache(tmp_path / "cache"))
    return out, encoder


def clustered(count: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((64, dim)).astype(np.float32)
    points = centres[rng.integers(0, 64, count)] + 0.6 * rng.standard_normal((count, dim))
    points = points.astype(np.float32)
    faiss.normalize_L2(points)
    return points


# FAISS kinds ---------------------------------------------------------------------------


def test_auto_kind_is_exact_up_to_the_threshold() -> None:
    assert resolve_kind(IndexKind.AUTO, EXACT_MAX_PREMISES)[0] is IndexKind.FLAT
    kind, reason = resolve_kind(IndexKind.AUTO, EXACT_MAX_PREMISES + 1)
    assert kind is IndexKind.HNSW and "auto" in reason
    assert resolve_kind(IndexKind.FLAT, 10**6) == (IndexKind.FLAT, "chosen explicitly")


def test_hnsw_agrees_with_exact_search() -> None:
    data = clustered(4000, 32, seed=0)
    queries = clustered(50, 32, seed=1)
    flat = build_faiss(data, IndexKind.FLAT, QUICK)
    hnsw = build_faiss(data, IndexKind.HNSW, QUICK)
    exact = search(flat, queries, 10, None)
    approx = search(hnsw, queries, 10, None)
    overlap = np.mean([len(set(a[0]) & set(e[0])) / 10 for a, e in zip(approx, exact, strict=True)])
    assert overlap >= 0.95
    top = data @ queries[0]
    assert exact[0][0][0] == int(np.argmax(top))
    assert np.allclose(exact[0][1], np.sort(top)[::-1][:10], atol=1e-5)


@pytest.mark.parametrize(
    ("kind", "exact_up_to"),
    [(IndexKind.FLAT, 0), (IndexKind.HNSW, EXACT_MAX_PREMISES), (IndexKind.HNSW, 0)],
)
@pytest.mark.parametrize("keep_every", [3, 997])  # a wide mask and a narrow one (4 rows)
def test_masked_search_stays_within_the_mask(
    kind: IndexKind, exact_up_to: int, keep_every: int
) -> None:
    data = clustered(3000, 32, seed=2)
    queries = clustered(5, 32, seed=3)
    mask = np.zeros(len(data), dtype=bool)
    mask[::keep_every] = True
    index = build_faiss(data, kind, QUICK)
    allowed = np.flatnonzero(mask)
    # Only HNSW's filtered graph walk (a wide mask, exact_up_to=0) may be approximate.
    approximate = kind is IndexKind.HNSW and exact_up_to == 0 and keep_every == 3
    found = search(index, queries, 5, mask, exact_up_to=exact_up_to)
    for (ids, scores), query in zip(found, queries, strict=True):
        expected = allowed[np.argsort(-(data[allowed] @ query))][: min(5, len(allowed))]
        assert mask[ids].all()
        assert len(ids) == len(expected)
        overlap = len(set(ids.tolist()) & set(expected.tolist())) / len(expected)
        assert overlap >= (0.8 if approximate else 1.0)
        assert np.all(np.diff(scores) <= 1e-6)


def test_ivfpq_needs_enough_training_points_and_then_searches() -> None:
    params = IndexParams(ivf_nlist=8, ivf_nprobe=8, pq_m=8, pq_bits=6)
    with pytest.raises(RetrievalError, match="needs at least 312 premises"):
        build_faiss(clustered(100, 32, seed=4), IndexKind.IVFPQ, params)
    data = clustered(3000, 32, seed=5)
    index = build_faiss(data, IndexKind.IVFPQ, params)
    ids, _ = search(index, data[:1], 10, None)[0]
    assert 0 in ids.tolist()  # a stored vector finds itself despite quantisation


def test_saved_index_is_memory_mapped_and_answers_the_same(tmp_path: Path) -> None:
    data = clustered(2000, 32, seed=6)
    index = build_faiss(
        data, IndexKind.HNSW, IndexParams(hnsw_ef_construction=40, hnsw_ef_search=64)
    )
    write_faiss(index, tmp_path / "i.faiss")
    loaded = read_faiss(tmp_path / "i.faiss", IndexParams(hnsw_ef_search=64))
    assert loaded.hnsw.efSearch == 64
    before = search(index, data[:3], 5, None)
    after = search(loaded, data[:3], 5, None)
    for (ids_a, _), (ids_b, _) in zip(before, after, strict=True):
        assert ids_a.tolist() == ids_b.tolist()
    (tmp_path / "junk.faiss").write_bytes(b"not an index")
    with pytest.raises(IndexLoadError, match="not a readable FAISS index"):
        read_faiss(tmp_path / "junk.faiss", IndexParams())


# Index directories ---------------------------------------------------------------------


def test_build_writes_a_complete_directory(built: tuple[Path, TokenEncoder]) -> None:
    out, encoder = built
    index = PremiseIndex.load(out)
    manifest = index.manifest
    assert manifest.model == "token-a"
    assert manifest.model_fingerprint == encoder.info.fingerprint
    assert (manifest.dimension, manifest.normalized, manifest.metric) == (
        DIM,
        True,
        "inner_product",
    )
    assert manifest.kind == "flat" and manifest.kind_reason.startswith("auto")
    assert manifest.premise_count == len(FACTS) == index.faiss.ntotal
    assert manifest.corpus_hash == facts_corpus().fingerprint
    assert manifest.module_count == len(IMPORTS)
    assert index.premises == facts_corpus().premises


def test_unchanged_corpus_is_never_encoded_twice(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache", chunk_size=3)
    encoder = TokenEncoder()
    first = build_index(facts_corpus(), tmp_path / "one", encoder, cache=cache)
    assert (first.encoded_texts, encoder.encoded) == (len(FACTS), len(FACTS))
    second = build_index(facts_corpus(), tmp_path / "two", encoder, cache=cache)
    assert (second.encoded_texts, encoder.encoded) == (0, len(FACTS))
    # Editing the last premise re-encodes only its chunk (the last 2 of 8 texts).
    corpus = facts_corpus()
    edited = Corpus(
        premises=(*corpus.premises[:-1], CorpusPremise("Real.exp_pos", "theorem x : True")),
        imports=corpus.imports,
    )
    third = build_index(edited, tmp_path / "three", encoder, cache=cache)
    assert third.encoded_texts == 2


def test_corrupt_cache_entries_are_recomputed(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache")
    encoder = TokenEncoder()
    texts = ["a + b = b + a", "0 < n !"]
    first = cache.embed(encoder, texts)
    for stored in (tmp_path / "cache").rglob("*.npy"):
        stored.write_bytes(b"garbage")
    again = cache.embed(encoder, texts)
    assert again.encoded == 2 and np.array_equal(first.vectors, again.vectors)


def test_failed_rebuild_keeps_the_previous_index(built: tuple[Path, TokenEncoder]) -> None:
    out, _ = built
    dying = TokenEncoder(salt="b")
    dying.fail_after = 3
    with pytest.raises(RuntimeError, match="encoder died"):
        build_index(facts_corpus(), out, dying, cache=EmbeddingCache(out.parent / "cache2"))
    assert PremiseIndex.load(out).manifest.model == "token-a"
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_build_refuses_to_overwrite_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(RetrievalError, match="refusing to overwrite"):
        build_index(facts_corpus(), precious, TokenEncoder(), cache=EmbeddingCache(tmp_path / "c"))
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_broken_index_directories_give_one_sentence(
    built: tuple[Path, TokenEncoder], tmp_path: Path
) -> None:
    out, _ = built
    with pytest.raises(IndexLoadError, match="does not exist"):
        PremiseIndex.load(tmp_path / "nowhere")
    with pytest.raises(IndexLoadError, match=r"has no manifest\.json"):
        PremiseIndex.load(tmp_path)
    data = json.loads((out / MANIFEST_FILE).read_text())
    (out / MANIFEST_FILE).write_text(json.dumps({**data, "premise_count": 99}))
    with pytest.raises(IndexLoadError, match="inconsistent"):
        PremiseIndex.load(out)
    (out / MANIFEST_FILE).write_text(json.dumps({**data, "format_version": 0}))
    with pytest.raises(IndexLoadError, match="format version 0"):
        PremiseIndex.load(out)
    (out / MANIFEST_FILE).write_text(json.dumps({"format_version": 1}))
    with pytest.raises(IndexLoadError, match=r"lacks backend, .*model_fingerprint"):
        Manifest.read(out)
    (out / MANIFEST_FILE).write_text(json.dumps(data))
    (out / INDEX_FILE).unlink()
    with pytest.raises(IndexLoadError, match=r"lacks index\.faiss"):
        PremiseIndex.load(out)


# Retriever -----------------------------------------------------------------------------


def test_retriever_returns_ranked_premises(built: tuple[Path, TokenEncoder]) -> None:
    out, encoder = built
    retriever = Retriever(PremiseIndex.load(out), encoder)
    premises = retriever.search("m n : ℕ ⊢ Nat.gcd m n = Nat.gcd n m", 3)
    assert premises[0].name == "Nat.gcd_comm"
    assert premises[0].module == "Lib.Nat"
    assert premises[0].statement == FACTS[3][2]
    assert [p.score for p in premises] == sorted((p.score for p in premises), reverse=True)


def test_accessibility_filters_and_scopes(built: tuple[Path, TokenEncoder]) -> None:
    out, encoder = built
    retriever = Retriever(PremiseIndex.load(out), encoder)
    query = "l : List α ⊢ l.reverse.reverse = l"
    from_nat = retriever.search(query, 10, accessible_from="import Lib.Nat")
    assert {p.module for p in from_nat} == {"Lib.Nat", "Lib.Algebra"}
    scoped = retriever.scoped("import Lib.List")
    assert {p.module for p in scoped.search(query, 10)} == {"Lib.List"}
    assert {p.module for p in scoped.search(query, 10, "import Lib.Real")} == {
        "Lib.Real",
        "Lib.Nat",
        "Lib.Algebra",
    }
    with pytest.raises(RetrievalError, match="None of the header's imports"):
        retriever.scoped("import Mathlib")


def test_queries_from_another_model_are_refused(built: tuple[Path, TokenEncoder]) -> None:
    out, _ = built
    index = PremiseIndex.load(out)
    other = TokenEncoder(salt="b")
    with pytest.raises(ModelMismatchError, match="token-b"):
        index.dense(other.encode(["⊢ a + b = b + a"]), 3, [None])
    with pytest.raises(ModelMismatchError, match="built with token-a"):
        Retriever(index, other)
    narrow = Embeddings(np.zeros((1, 8), dtype=np.float32), index.manifest.model_fingerprint, "x")
    with pytest.raises(ModelMismatchError, match="64-dimensional"):
        index.dense(narrow, 3, [None])


def test_lexical_and_hybrid_channels(built: tuple[Path, TokenEncoder]) -> None:
    out, encoder = built
    index = PremiseIndex.load(out)
    lexical = Retriever(index, None, channel=Channel.LEXICAL)
    assert lexical.search("factorial positive", 2)[0].name == "Nat.factorial_pos"
    hybrid = Retriever(index, encoder, channel=Channel.HYBRID)
    top = hybrid.search("⊢ 0 < Real.exp x", 3)
    assert top[0].name == "Real.exp_pos"
    assert top[0].score == pytest.approx(2 / 61)  # ranked first by both channels
    with pytest.raises(ValueError, match="needs an encoder"):
        Retriever(index, None, channel=Channel.DENSE)


def test_reciprocal_rank_fusion() -> None:
    fused = fuse([[Hit(1, 0.9), Hit(2, 0.8)], [Hit(2, 7.0), Hit(3, 5.0)]], 3)
    assert [h.row for h in fused] == [2, 1, 3]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1].score == pytest.approx(1 / 61)


# BM25 ----------------------------------------------------------------------------------


def test_tokenize_splits_lean_identifiers_and_keeps_symbols() -> None:
    tokens = tokenize("Nat.add_comm : AddCommMonoid α → a + b ≤ c")
    for expected in ("nat", "add_comm", "add", "comm", "addcommmonoid", "monoid", "+", "≤", "α"):
        assert expected in tokens


def test_bm25_ranks_by_rare_shared_terms_and_respects_masks() -> None:
    docs = ["gcd comm nat", "nat add comm", "nat mul comm", "list reverse"]
    bm25 = BM25(docs)
    ids, scores = bm25.top("gcd of nat", 4, None)
    assert ids[0] == 0 and np.all(scores > 0) and 3 not in ids.tolist()
    mask = np.array([False, True, True, True])
    assert 0 not in bm25.top("gcd of nat", 4, mask)[0].tolist()


# Evaluation ----------------------------------------------------------------------------


class FixedRankings:
    channel = Channel.DENSE

    def __init__(self, names: list[list[str]]) -> None:
        self.names = names

    def search_many(self, queries, k, accessible_from=None):  # type: ignore[no-untyped-def]
        from prover.types import Premise

        return [[Premise(n, n) for n in row[:k]] for row in self.names]


def test_recall_and_mrr_follow_their_definitions() -> None:
    rankings = [["a", "x", "b"] + [f"f{i}" for i in range(20)], ["y"] * 12 + ["c"], ["z"]]
    pairs = [
        EvalPair("q1", frozenset({"a", "b"})),  # both gold in the top 3, first at rank 1
        EvalPair("q2", frozenset({"c"})),  # gold at rank 13: in the top 100 only
        EvalPair("q3", frozenset({"w"})),  # never retrieved
    ]
    result = evaluate(FixedRankings(rankings), pairs)  # type: ignore[arg-type]
    assert result.recall[1] == pytest.approx((0.5 + 0 + 0) / 3)
    assert result.recall[10] == pytest.approx((1 + 0 + 0) / 3)
    assert result.recall[100] == pytest.approx((1 + 1 + 0) / 3)
    assert result.mrr == pytest.approx((1 + 1 / 13 + 0) / 3)


def test_winner_prefers_recall_at_10_then_mrr() -> None:
    from retrieval.evaluate import EvalResult

    a = EvalResult("dense", 5, {1: 0.2, 10: 0.8, 100: 0.9}, 0.5, 1.0)
    b = EvalResult("lexical", 5, {1: 0.4, 10: 0.8, 100: 0.9}, 0.6, 1.0)
    c = EvalResult("hybrid", 5, {1: 0.9, 10: 0.7, 100: 1.0}, 0.9, 1.0)
    assert winner([a, b, c]).channel == "lexical"


def test_pairs_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"query": "⊢ True", "gold": ["trivial"]}\n{"query": "⊢ p", "gold": []}\n')
    with pytest.raises(CorpusError, match=re.escape("line 2: 'gold' must be a non-empty list")):
        load_pairs(path)
    path.write_text('{"query": "⊢ True", "gold": ["trivial"], "accessible_from": "import A"}\n')
    assert load_pairs(path) == [EvalPair("⊢ True", frozenset({"trivial"}), "import A")]
