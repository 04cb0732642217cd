"""BM25 over premise text: the lexical channel, alone or fused with dense retrieval.

Lean identifiers carry most of the lexical signal, so a token is an identifier, each of
its dotted, snake_case and camelCase parts, or a single non-space symbol (`+`, `≤`, `∣`…).
Postings are numpy arrays; a query costs one vectorised update per query term.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

_WORD_OR_SYMBOL = re.compile(r"[^\W_][\w'!?]*|[^\w\s()\[\]{},.:;`\"]", re.UNICODE)
_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9']+|\d+")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for match in _WORD_OR_SYMBOL.finditer(text):
        word = match.group()
        tokens.append(word.lower())
        parts = [p for piece in word.split("_") for p in _CAMEL_PART.findall(piece) or [piece]]
        if len(parts) > 1:
            tokens.extend(p.lower() for p in parts if p)
    return tokens


class BM25:
    """Okapi BM25 (k1=1.2, b=0.75) with the non-negative idf log(1 + (N - df + .5)/(df + .5))."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = np.zeros(self.size, dtype=np.float32)
        for doc_id, document in enumerate(documents):
            counts: dict[str, int] = defaultdict(int)
            for token in tokenize(document):
                counts[token] += 1
            lengths[doc_id] = sum(counts.values())
            for token, count in counts.items():
                postings[token].append((doc_id, count))
        average = float(lengths.mean()) if self.size else 0.0
        norm = k1 * (1 - b + b * lengths / average) if average else np.full(self.size, k1)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for token, items in postings.items():
            ids = np.fromiter((i for i, _ in items), dtype=np.int64, count=len(items))
            tf = np.fromiter((c for _, c in items), dtype=np.float32, count=len(items))
            idf = math.log(1 + (self.size - len(items) + 0.5) / (len(items) + 0.5))
            weights = idf * tf * (k1 + 1) / (tf + norm[ids])
            self._postings[token] = (ids, weights.astype(np.float32))

    def scores(self, query: str) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float32)
        for token in set(tokenize(query)):
            posting = self._postings.get(token)
            if posting is not None:
                ids, weights = posting
                scores[ids] += weights  # ids are unique within one posting list
        return scores

    def top(self, query: str, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, scores) of the `k` best rows with a positive score, best first."""
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return order, scores[order]
