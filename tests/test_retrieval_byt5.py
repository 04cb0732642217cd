"""The ReProver-style encoder path: a T5 encoder with masked mean pooling over bytes.

A tiny `T5EncoderModel` with random weights is built from a config inside the test and
saved with a ByT5 tokenizer, so the real loading path (`load_encoder(directory)`) runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import ByT5Tokenizer, T5Config, T5EncoderModel

from retrieval.build import build_index
from retrieval.cache import EmbeddingCache
from retrieval.corpus import Corpus, CorpusPremise, TextFormat
from retrieval.encoder import Backend, Encoder, load_encoder
from retrieval.errors import ModelMismatchError
from retrieval.retriever import load_retriever

D_MODEL = 32


def save_tiny_t5(directory: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    config = T5Config(vocab_size=384, d_model=D_MODEL, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
    T5EncoderModel(config).save_pretrained(directory)
    ByT5Tokenizer().save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return load_encoder(str(save_tiny_t5(tmp_path_factory.mktemp("t5-a"), seed=0)))


def test_a_plain_transformers_directory_loads_as_mean_pooling(tiny: Encoder) -> None:
    info = tiny.info
    assert info.backend is Backend.TRANSFORMERS
    assert info.text_format is TextFormat.REPROVER
    assert info.dimension == D_MODEL
    assert info.max_length == 1024


def test_vectors_are_masked_means_scaled_to_unit_length(tiny: Encoder) -> None:
    texts = ["⊢ a + b = b + a", "theorem <a>Nat.add_comm</a> (n m : ℕ) : n + m = m + n"]
    together = tiny.encode(texts, batch_size=2).vectors
    assert together.shape == (2, D_MODEL) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Padding the short text to the long one's length must not change its vector.
    alone = tiny.encode(texts[:1], batch_size=1).vectors
    assert np.allclose(together[0], alone[0], atol=1e-5)
    # And the vector is the mean of the last hidden states over the real tokens.
    tokenizer = ByT5Tokenizer()
    model = T5EncoderModel.from_pretrained(tiny.info.source)
    ids = tokenizer(texts[0], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        mean = model(input_ids=ids).last_hidden_state[0].mean(dim=0)
    assert np.allclose(alone[0], (mean / mean.norm()).numpy(), atol=1e-5)


def test_index_refuses_another_models_queries(tiny: Encoder, tmp_path: Path) -> None:
    premises = (
        CorpusPremise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n"),
        CorpusPremise("Nat.mul_comm", "theorem Nat.mul_comm (n m : ℕ) : n * m = m * n"),
        CorpusPremise("List.length_nil", "theorem List.length_nil : ([] : List α).length = 0"),
    )
    out = tmp_path / "index"
    manifest = build_index(
        Corpus(premises=premises), out, tiny, cache=EmbeddingCache(tmp_path / "cache")
    )
    assert (manifest.backend, manifest.text_format, manifest.dimension) == (
        "transformers",
        "reprover",
        D_MODEL,
    )
    same = load_retriever(out)
    assert len(same.search("⊢ n + m = m + n", 2)) == 2
    other = save_tiny_t5(tmp_path / "t5-b", seed=1)
    with pytest.raises(ModelMismatchError, match="was built with"):
        load_retriever(out, model=str(other))
    with pytest.raises(ModelMismatchError, match="was built with"):
        same.index.dense(load_encoder(str(other)).encode(["⊢ True"]), 1, [None])
