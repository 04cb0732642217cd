"""Tiny transformers models built offline inside the tests (no download, random weights
trained for a few steps), shared by the generator and end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import ByT5Tokenizer, T5Config, T5ForConditionalGeneration


def train(model: torch.nn.Module, batch: dict[str, torch.Tensor], steps: int, lr: float) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only contend on a busy CI box
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        for _ in range(steps):
            loss = model(**batch).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)


def build_byt5(path: Path, lessons: dict[str, str], steps: int = 40) -> Path:
    """A one-layer T5 over ByT5's byte vocabulary taught `lessons` (state -> tactic),
    saved with its tokenizer at `path` (ReProver's model family, in miniature)."""
    torch.manual_seed(0)
    tokenizer = ByT5Tokenizer(extra_ids=0)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_ff=64,
        d_kv=16,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        dropout_rate=0.0,
    )
    model = T5ForConditionalGeneration(config)
    inputs = tokenizer(list(lessons), return_tensors="pt", padding=True)
    labels = tokenizer(list(lessons.values()), return_tensors="pt", padding=True).input_ids
    labels[labels == tokenizer.pad_token_id] = -100
    train(model, {**inputs, "labels": labels}, steps=steps, lr=2e-2)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
