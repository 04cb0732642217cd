"""The hf: backend on tiny models built (and briefly trained) inside the test.

Each model is trained for a few dozen steps to answer two states with known tactics, so
the tests can check that a whole round trip (prompt, tokenisation, generation, slicing,
decoding, extraction) gives back the tactic the model learned, not just any string.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_models import build_byt5, train
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from prover.generate.hf import HFModel
from prover.generate.llm import render_chatml
from prover.generate.model_generator import ModelGenerator
from prover.generate.registry import make_generator, make_language_model
from prover.types import Premise

LESSONS = {
    "x : ℕ\nh : x = 3\n⊢ x + 2 = 5": "omega",
    "p : Prop\nhp : p\n⊢ p": "exact hp",
}
STATES = list(LESSONS)
EOS = "<|endoftext|>"


@pytest.fixture(scope="module")
def byt5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer T5 over ByT5's byte vocabulary that answers LESSONS (ReProver-style)."""
    return build_byt5(tmp_path_factory.mktemp("models") / "tiny-byt5", LESSONS)


@pytest.fixture(scope="module")
def causal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer GPT-2 with a byte-level BPE trained offline, answering `{state}:::`."""
    torch.manual_seed(0)
    texts = [f"{state}:::{tactic}" for state, tactic in LESSONS.items()]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts * 4, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=EOS)
    eos_id = tokenizer.eos_token_id
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=512,
        n_embd=32,
        n_layer=1,
        n_head=2,
        eos_token_id=eos_id,
        bos_token_id=eos_id,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    model = GPT2LMHeadModel(config)
    batch = tokenizer([t + EOS for t in texts], return_tensors="pt", padding=True)
    labels = batch.input_ids.clone()
    labels[batch.attention_mask == 0] = -100
    train(model, {**batch, "labels": labels}, steps=60, lr=3e-2)
    path = tmp_path_factory.mktemp("models") / "tiny-bfs-prover"  # the name selects the format
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _generator(path: Path, **opts: Any) -> ModelGenerator:
    made = make_generator(f"hf:{path}", **{"max_tokens": 16, **opts})
    assert isinstance(made, ModelGenerator)
    return made


def test_seq2seq_beam_search_returns_the_learned_tactic(byt5_dir: Path) -> None:
    generator = _generator(byt5_dir)
    assert generator.prompt_format.name == "reprover"
    for state, tactic in LESSONS.items():
        candidates = generator.suggest(state, [], 4)
        assert candidates[0].text == tactic
        assert 1 <= len(candidates) <= 4
        assert len({c.text for c in candidates}) == len(candidates)
        scores = [c.score for c in candidates]
        assert all(math.isfinite(s) and s < 0 for s in scores)
        assert scores == sorted(scores, reverse=True)
    settings = dict(candidates[0].provenance.settings)
    assert candidates[0].provenance.generator == f"hf:{byt5_dir}"
    assert candidates[0].provenance.model == str(byt5_dir)
    assert (settings["format"], settings["score"], settings["device"]) == (
        "reprover",
        "logprob",
        "cpu",
    )
    assert settings["temperature"] == 0.0 and settings["n"] == 4


def test_seq2seq_shows_premises_in_the_input(byt5_dir: Path) -> None:
    generator = _generator(byt5_dir)
    premise = Premise("Nat.add_comm", "theorem Nat.add_comm (n m : ℕ) : n + m = m + n")
    before = generator.usage.tokens_in
    candidates = generator.suggest(STATES[0], [premise], 2)
    with_premise = generator.usage.tokens_in - before
    generator.suggest(STATES[0], [], 2)
    without = generator.usage.tokens_in - before - with_premise
    assert candidates[0].provenance.premises == (premise,)
    expected_extra = len("theorem <a>Nat.add_comm</a> (n m : ℕ) : n + m = m + n\n\n".encode())
    assert with_premise - without == expected_extra  # ByT5: one token per byte


def test_batched_generation_matches_one_at_a_time(byt5_dir: Path) -> None:
    generator = _generator(byt5_dir)
    batched = generator.suggest_batch(STATES, [[], []], 3)
    single = [generator.suggest(state, [], 3) for state in STATES]
    assert [[c.text for c in cs] for cs in batched] == [[c.text for c in cs] for cs in single]
    for left, right in zip(batched, single, strict=True):
        assert [c.score for c in left] == pytest.approx([c.score for c in right], abs=1e-4)


def test_causal_model_with_bfs_prompt(causal_dir: Path) -> None:
    generator = _generator(causal_dir)
    assert generator.prompt_format.name == "bfs-prover"
    for state, tactic in LESSONS.items():
        candidates = generator.suggest(state, [], 3)
        assert candidates[0].text == tactic
        assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)


def test_sampling_is_deterministic_under_a_seed(causal_dir: Path) -> None:
    def sample(seed: int) -> list[tuple[str, float]]:
        generator = _generator(causal_dir, temperature=1.5, seed=seed, max_tokens=8)
        return [(c.text, c.score) for c in generator.suggest(STATES[1], [], 8)]

    first = sample(1)
    assert first == sample(1)
    assert first != sample(2)
    assert all(math.isfinite(score) and score <= 0 for _, score in first)


def _teacher_forced_logprob(lm: HFModel, prompt: str, answer: str) -> float:
    """log P(answer, EOS | prompt) computed directly from the network."""
    prompt_ids = lm.tokenizer(prompt).input_ids
    answer_ids = [*lm.tokenizer(answer).input_ids, lm.tokenizer.eos_token_id]
    ids = torch.tensor([prompt_ids + answer_ids])
    with torch.no_grad():
        logprobs = torch.log_softmax(lm.network(ids).logits[0].float(), dim=-1)
    start = len(prompt_ids)
    return sum(logprobs[start - 1 + k, t].item() for k, t in enumerate(answer_ids))


def test_logprobs_are_the_models_own_probabilities(causal_dir: Path) -> None:
    lm = make_language_model(f"hf:{causal_dir}")
    assert isinstance(lm, HFModel)
    prompt = f"{STATES[1]}:::"
    expected = _teacher_forced_logprob(lm, prompt, "exact hp")
    assert expected < -0.01  # the tiny model is not certain, so warping would show
    [greedy] = lm.complete(prompt, n=1, max_tokens=8)
    [beam, *_] = lm.complete(prompt, n=2, max_tokens=8)
    # Near-zero temperature samples the greedy answer; its score must still be the
    # model's log-probability, not that of the sharpened distribution (which is ~0).
    [cold] = lm.complete(prompt, n=1, max_tokens=8, temperature=1e-3)
    for completion in (greedy, beam, cold):
        assert completion.text == "exact hp"
        assert completion.logprob == pytest.approx(expected, abs=1e-3)


def test_stop_strings_cut_the_completion(causal_dir: Path) -> None:
    lm = make_language_model(f"hf:{causal_dir}")
    [completion] = lm.complete(f"{STATES[1]}:::", n=1, max_tokens=8, stop=["hp"])
    assert (completion.text, completion.finish_reason) == ("exact ", "stop")
    [cut] = lm.complete(f"{STATES[1]}:::", n=1, max_tokens=2)
    assert cut.finish_reason == "length" and cut.tokens_out == 2


def test_chat_prompts_fall_back_to_chatml(causal_dir: Path) -> None:
    lm = make_language_model(f"hf:{causal_dir}")
    assert isinstance(lm, HFModel)
    messages = [{"role": "user", "content": "⊢ p"}]
    [completion] = lm.complete(messages, n=1, max_tokens=4)
    expected = len(lm.tokenizer(render_chatml(messages), add_special_tokens=False).input_ids)
    assert completion.tokens_in == expected


def test_usage_and_token_counts_add_up(causal_dir: Path) -> None:
    lm = make_language_model(f"hf:{causal_dir}", batch_size=1)
    replies = lm.complete_batch([f"{s}:::" for s in STATES], n=2, max_tokens=5)
    completions = [c for reply in replies for c in reply]
    assert lm.usage.calls == 2  # one generate call per batch of one
    assert lm.usage.tokens_in == sum(c.tokens_in for c in completions)
    assert lm.usage.tokens_out == sum(c.tokens_out for c in completions)
    assert all(1 <= c.tokens_out <= 5 for c in completions)


def test_long_inputs_are_cut_to_the_limit(causal_dir: Path) -> None:
    lm = make_language_model(f"hf:{causal_dir}", max_input_tokens=12)
    [completion] = lm.complete("x : ℕ\n" * 50 + "⊢ x = x:::", n=1, max_tokens=2)
    assert completion.tokens_in == 12


def test_unloadable_models_raise_one_clear_sentence(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such directory"):
        make_generator(f"hf:{tmp_path / 'missing'}")
    with pytest.raises(ValueError, match=r"^cannot load Hugging Face model '.*empty'"):
        (tmp_path / "empty").mkdir()
        make_generator(f"hf:{tmp_path / 'empty'}")
    with pytest.raises(ValueError, match="does not take option"):
        make_generator(f"hf:{tmp_path}", timeout_s=3)


def test_a_causal_model_writes_whole_proofs_for_the_sample_strategy(
    causal_dir: Path, standin_env: Path
) -> None:
    from prover.api import Workbench

    options = {"samples": 2, "batch": 2, "plain_max_tokens": 12, "temperature": 0.8}
    options["prompt_format"] = "deepseek-prover-v1.5"  # a completion: the fence is left open
    with Workbench(generator=f"hf:{causal_dir}") as workbench:
        report = workbench.prove(
            "theorem t (x : ℕ) (h : x = 3) : x + 2 = 5 := by sorry", "sample", options=options
        )
    assert report.samples is not None and report.samples["n"] == 2
    plain = report.samples["modes"]["plain"]
    assert plain["tokens_in"] > 0 and 0 < plain["tokens_out"] <= 2 * 12
    # Twelve tokens of a model never taught Lean prove nothing: each sample is refused
    # (cut off inside its block) or fails in Lean; none is counted as correct.
    assert report.samples["correct"] == 0 and not report.proved
    assert set(report.samples["outcomes"]) <= {"incomplete_block", "lean_error", "no_proof"}


def test_one_process_loads_a_model_once_for_the_same_options(causal_dir: Path) -> None:
    first = make_language_model(f"hf:{causal_dir}")
    assert make_language_model(f"hf:{causal_dir}", seed=0) is first  # 0 is the default seed
    assert make_language_model(f"hf:{causal_dir}", seed=1) is not first
    generator = _generator(causal_dir)
    assert generator.lm is first  # a tactic generator and a sampler share the weights
