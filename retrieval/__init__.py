"""Premise retrieval: a corpus of Lean declarations, an encoder, a FAISS index, a retriever.

    from retrieval import load_retriever
    retriever = load_retriever(Path("index-dir"))           # implements prover.protocols.Retriever
    premises = retriever.search("⊢ a + b = b + a", k=10, accessible_from=theorem.header)

Modules: `corpus` (LeanDojo / dumped JSONL), `access` (which premises a theorem may
see), `encoder` (sentence-transformers or mean-pooled transformers), `cache`
(embeddings on disk), `index` (FAISS kinds), `store` (an index directory), `build`,
`lexical` (BM25), `retriever`, `evaluate` (recall@k, MRR), `dump` (corpus from Lean).
"""

from retrieval.errors import RetrievalError
from retrieval.retriever import Channel, Retriever, load_retriever

__all__ = ["Channel", "RetrievalError", "Retriever", "load_retriever"]
