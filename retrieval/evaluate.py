"""Recall@k and MRR of a retriever on (query, gold premise names) pairs.

Pairs file: JSONL, one `{"query": "...", "gold": ["Nat.add_comm", ...]}` per line, with an
optional `"accessible_from"` (see `retrieval.access`). As in ReProver's evaluation,
recall@k of one pair is the fraction of its gold premises among the first k retrieved,
averaged over pairs; MRR averages 1/rank of the first gold premise (0 when none is
retrieved within the largest k).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.errors import CorpusError
from retrieval.retriever import Retriever

DEFAULT_KS = (1, 10, 100)


@dataclass(frozen=True)
class EvalPair:
    query: str
    gold: frozenset[str]
    accessible_from: str | None = None


@dataclass(frozen=True)
class EvalResult:
    channel: str
    pairs: int
    recall: dict[int, float]
    mrr: float
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "pairs": self.pairs,
            **{f"recall@{k}": round(v, 4) for k, v in self.recall.items()},
            "mrr": round(self.mrr, 4),
            "seconds": round(self.seconds, 3),
        }


def load_pairs(path: Path) -> list[EvalPair]:
    if not path.is_file():
        raise CorpusError(f"Pairs file {path} does not exist.")
    pairs = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                pairs.append(_pair(line, f"{path} line {number}"))
    if not pairs:
        raise CorpusError(f"Pairs file {path} contains no pairs.")
    return pairs


def _pair(line: str, where: str) -> EvalPair:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where} is not valid JSON ({exc.msg}).") from exc
    if not isinstance(record, dict):
        raise CorpusError(f"{where} is not a JSON object.")
    query, gold, scope = record.get("query"), record.get("gold"), record.get("accessible_from")
    if not isinstance(query, str) or not query.strip():
        raise CorpusError(f"{where}: 'query' must be a non-empty string.")
    if not isinstance(gold, list) or not gold or not all(isinstance(g, str) for g in gold):
        raise CorpusError(f"{where}: 'gold' must be a non-empty list of premise names.")
    if scope is not None and not isinstance(scope, str):
        raise CorpusError(f"{where}: 'accessible_from' must be a string.")
    return EvalPair(query, frozenset(gold), scope)


def evaluate(
    retriever: Retriever, pairs: Sequence[EvalPair], ks: Sequence[int] = DEFAULT_KS
) -> EvalResult:
    started = time.perf_counter()
    depth = max(ks)
    ranked = retriever.search_many(
        [p.query for p in pairs], depth, [p.accessible_from for p in pairs]
    )
    recall = {k: 0.0 for k in ks}
    reciprocal = 0.0
    for pair, premises in zip(pairs, ranked, strict=True):
        names = [p.name for p in premises]
        for k in ks:
            recall[k] += len(pair.gold.intersection(names[:k])) / len(pair.gold)
        rank = next((i for i, name in enumerate(names, start=1) if name in pair.gold), None)
        reciprocal += 1.0 / rank if rank else 0.0
    count = len(pairs)
    return EvalResult(
        channel=retriever.channel.value,
        pairs=count,
        recall={k: v / count for k, v in recall.items()},
        mrr=reciprocal / count,
        seconds=time.perf_counter() - started,
    )


def winner(results: Sequence[EvalResult]) -> EvalResult:
    """The best result by recall@10 (the metric ReProver selects on), then MRR."""

    def key(result: EvalResult) -> tuple[float, float]:
        recall_10 = result.recall.get(10, max(result.recall.values()))
        return (recall_10, result.mrr)

    return max(results, key=key)
