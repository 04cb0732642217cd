"""The retriever the prover uses: `search(query, k, accessible_from) -> list[Premise]`.

Channels:

* `dense` (default) — the query embedded by the index's own model, nearest premises by
  cosine similarity;
* `lexical` — BM25 over the premises' names, statements and docstrings;
* `hybrid` — both lists fused by reciprocal rank (score = Σ 1 / (60 + rank)).

`leanwb index eval` measures the three on (query, gold premises) pairs.

Typical wiring (the prompt then shows `Premise.name`/`.statement`, best first):

    retriever = load_retriever(Path("mathlib-index"))
    ctx = ProofContext(..., retriever=retriever.scoped(theorem.header))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from prover.types import Premise
from retrieval.encoder import Backend, Encoder, load_encoder
from retrieval.errors import UnknownModuleError
from retrieval.store import Hit, PremiseIndex

RRF_K = 60  # the constant of Cormack et al.'s reciprocal rank fusion
_FUSION_DEPTH = 100  # each channel contributes at least this many candidates to the fusion


class Channel(StrEnum):
    DENSE = "dense"
    LEXICAL = "lexical"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class Retriever:
    """Implements `prover.protocols.Retriever` over one index directory.

    `scope` is the `accessible_from` used when a call passes none (see `retrieval.access`).
    """

    index: PremiseIndex
    encoder: Encoder | None
    channel: Channel = Channel.DENSE
    scope: str | None = None

    def __post_init__(self) -> None:
        if self.channel is not Channel.LEXICAL:
            if self.encoder is None:
                raise ValueError(f"the {self.channel} channel needs an encoder")
            self.index.check_model(self.encoder.info.fingerprint, self.encoder.info.model)
        self.index.access.mask(self.scope)  # an unknown scope fails now, not mid-search

    def search(self, query: str, k: int, accessible_from: str | None = None) -> list[Premise]:
        return self.search_many([query], k, [accessible_from])[0]

    def search_many(
        self,
        queries: Sequence[str],
        k: int,
        accessible_from: Sequence[str | None] | None = None,
    ) -> list[list[Premise]]:
        """Like `search` for each query; dense queries are encoded as one batch."""
        scopes = accessible_from or [None] * len(queries)
        if len(scopes) != len(queries):
            raise ValueError("give one accessible_from per query")
        masks = [self.index.access.mask(s if s is not None else self.scope) for s in scopes]
        if k <= 0 or not queries:
            return [[] for _ in queries]
        if self.channel is Channel.LEXICAL:
            ranked = [self.index.lexical_hits(q, k, m) for q, m in zip(queries, masks, strict=True)]
        elif self.channel is Channel.DENSE:
            ranked = self._dense(queries, k, masks)
        else:
            depth = max(k, _FUSION_DEPTH)
            dense = self._dense(queries, depth, masks)
            ranked = [
                fuse([d, self.index.lexical_hits(q, depth, m)], k)
                for q, m, d in zip(queries, masks, dense, strict=True)
            ]
        premises = self.index.premises
        return [[premises[h.row].to_premise(h.score) for h in hits] for hits in ranked]

    def scoped(self, accessible_from: str | None) -> Retriever:
        """The same retriever with a default `accessible_from` (e.g. a theorem's header)."""
        return replace(self, scope=accessible_from)

    def for_header(self, header: str) -> Retriever:
        """Scoped to what `header` imports when the corpus knows those modules; unscoped
        when it knows none of them (a corpus that is not the header's library)."""
        try:
            self.index.access.mask(header)
        except UnknownModuleError:
            return self
        return self.scoped(header)

    def with_channel(self, channel: Channel) -> Retriever:
        return replace(self, channel=channel)

    def _dense(
        self, queries: Sequence[str], k: int, masks: list[np.ndarray | None]
    ) -> list[list[Hit]]:
        assert self.encoder is not None  # guaranteed by __post_init__ for dense channels
        return self.index.dense(self.encoder.encode(list(queries)), k, masks)


def fuse(rankings: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """Reciprocal rank fusion of several best-first rankings; ties keep first-seen order."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.row] = fused.get(hit.row, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(fused.items(), key=lambda item: -item[1])[:k]
    return [Hit(row, score) for row, score in best]


def load_retriever(
    index_dir: Path,
    *,
    channel: Channel = Channel.DENSE,
    model: str | None = None,
    device: str | None = None,
    scope: str | None = None,
    ef_search: int | None = None,
) -> Retriever:
    """Open an index directory with the encoder it was built with.

    `model` overrides where the encoder is loaded from (e.g. the directory moved); its
    fingerprint must still match the index's, or `ModelMismatchError` is raised. The
    `lexical` channel loads no model at all.
    """
    index = PremiseIndex.load(Path(index_dir), ef_search=ef_search)
    encoder = None
    if channel is not Channel.LEXICAL:
        manifest = index.manifest
        encoder = load_encoder(
            model or manifest.model,
            backend=Backend(manifest.backend),
            device=device,
            max_length=manifest.max_length,
        )
    return Retriever(index, encoder, channel=channel, scope=scope)
