"""A `LanguageModel` on a local Hugging Face transformers model, seq2seq or causal.

`AutoConfig` decides the architecture: encoder-decoder models (T5, ByT5: ReProver) load
with `AutoModelForSeq2SeqLM`, everything else with `AutoModelForCausalLM`.

Decoding: temperature 0 with `n > 1` is beam search with `num_beams = n` and
`length_penalty = 0`, so a sequence's score is its summed token log-probability (as
ReProver); temperature 0 with `n = 1` is greedy; a positive temperature samples (with
`top_p`), and the log-probability is recomputed from the raw logits, so it is the
model's own probability of the sample, not of the temperature-warped distribution.
Sampling is seeded from `seed` and the prompts, so the same prompts give the same
samples on the same machine, and the global torch random state is left untouched.

Prompts are batched `batch_size` at a time. Inputs longer than `max_input_tokens` (for
causal models also: longer than the position window minus `max_tokens`) are cut: at the
end for seq2seq (as ReProver does), at the start for causal models (their prompt ends
with the cue the model answers). Chat prompts are rendered with the
tokenizer's chat template, or ChatML when it has none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from prover.generate.llm import Completion, Prompt, cut_at_stop, render_chatml
from prover.types import Usage

DTYPES = ("auto", "float32", "float16", "bfloat16")


class HFModel:
    def __init__(
        self,
        model_id: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        top_p: float = 1.0,
        seed: int = 0,
        max_input_tokens: int = 2048,
        batch_size: int = 8,
        trust_remote_code: bool = False,
        name: str | None = None,
    ) -> None:
        import torch
        from transformers import (
            AutoConfig,
            AutoModelForCausalLM,
            AutoModelForSeq2SeqLM,
            AutoTokenizer,
        )

        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        self.model = model_id
        self.name = name or f"hf:{model_id}"
        self.device = _pick_device(torch, device)
        self.top_p = top_p
        self.seed = seed
        self.max_input_tokens = max_input_tokens
        self.batch_size = max(1, batch_size)
        self.usage = Usage()
        try:
            config = AutoConfig.from_pretrained(model_id, trust_remote_code=trust_remote_code)
            self.seq2seq = bool(getattr(config, "is_encoder_decoder", False))
            self.max_positions = _max_positions(config)
            self.tokenizer = AutoTokenizer.from_pretrained(
                model_id, trust_remote_code=trust_remote_code
            )
            loader = AutoModelForSeq2SeqLM if self.seq2seq else AutoModelForCausalLM
            self.torch_dtype = _pick_dtype(torch, dtype, self.device)
            network: Any = loader.from_pretrained(
                model_id, dtype=self.torch_dtype, trust_remote_code=trust_remote_code
            )
        except (OSError, ValueError, KeyError, ImportError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"cannot load Hugging Face model {model_id!r}: {reason}") from exc
        self.network: Any = network.to(self.device).eval()
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "right" if self.seq2seq else "left"
        self.tokenizer.truncation_side = "right" if self.seq2seq else "left"
        self.settings: tuple[tuple[str, Any], ...] = tuple(
            sorted(
                {
                    "device": self.device,
                    "dtype": str(self.torch_dtype).removeprefix("torch."),
                    "max_input_tokens": max_input_tokens,
                    "seed": seed,
                    "top_p": top_p,
                }.items()
            )
        )

    def __repr__(self) -> str:
        kind = "seq2seq" if self.seq2seq else "causal"
        return f"HFModel(model={self.model!r}, {kind}, device={self.device!r})"

    def complete(
        self,
        prompt: Prompt,
        *,
        n: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> list[Completion]:
        return self.complete_batch(
            [prompt], n=n, max_tokens=max_tokens, temperature=temperature, stop=stop
        )[0]

    def complete_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        n: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> list[list[Completion]]:
        if n <= 0:
            return [[] for _ in prompts]
        results: list[list[Completion]] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            results.extend(self._generate(chunk, n, max_tokens, temperature, stop))
        return results

    def _render(self, prompt: Prompt) -> str:
        if isinstance(prompt, str):
            return prompt
        messages = [dict(m) for m in prompt]
        if getattr(self.tokenizer, "chat_template", None):
            return str(
                self.tokenizer.apply_chat_template(
                    messages, tokenize=False, add_generation_prompt=True
                )
            )
        return render_chatml(messages)

    def _generate(
        self,
        prompts: Sequence[Prompt],
        n: int,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
    ) -> list[list[Completion]]:
        import torch

        texts = [self._render(p) for p in prompts]
        encoded = self.tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self._input_limit(max_tokens),
            add_special_tokens=all(isinstance(p, str) for p in prompts),
        ).to(self.device)
        options: dict[str, Any] = {
            "max_new_tokens": max_tokens,
            "num_return_sequences": n,
            "return_dict_in_generate": True,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        beam = temperature <= 0 and n > 1
        if beam:
            options.update(num_beams=n, do_sample=False, length_penalty=0.0, output_scores=True)
        elif temperature <= 0:
            options.update(do_sample=False, output_logits=True)
        else:
            options.update(
                do_sample=True, temperature=temperature, top_p=self.top_p, output_logits=True
            )
        if stop:
            options.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        devices = [self.device] if self.device.startswith("cuda") else []
        with torch.inference_mode(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(_seed_for(self.seed, texts))
            out = self.network.generate(**encoded, **options)
        # Seq2seq outputs open with the decoder start token; causal ones repeat the input.
        prefix = 1 if self.seq2seq else encoded.input_ids.shape[1]
        generated = out.sequences[:, prefix:]
        lengths, ended = self._lengths(generated)
        if beam:
            logprobs = out.sequences_scores.float().tolist()
        else:
            steps = self.network.compute_transition_scores(
                out.sequences, out.logits, normalize_logits=True
            ).float()
            mask = (
                torch.arange(steps.shape[1], device=steps.device)[None, :]
                < torch.tensor(lengths, device=steps.device)[:, None]
            )
            logprobs = torch.where(mask, steps, torch.zeros_like(steps)).sum(dim=1).tolist()
        decoded = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        inputs = encoded.attention_mask.sum(dim=1).tolist()
        self.usage.calls += 1
        self.usage.tokens_in += int(sum(inputs))
        self.usage.tokens_out += int(sum(lengths))
        results: list[list[Completion]] = []
        for i, tokens_in in enumerate(inputs):
            rows = range(i * n, (i + 1) * n)
            results.append(
                [
                    Completion(
                        text=cut_at_stop(decoded[r], stop),
                        logprob=float(logprobs[r]),
                        tokens_in=int(tokens_in) if r == i * n else 0,
                        tokens_out=lengths[r],
                        finish_reason=_finish_reason(ended[r], decoded[r], stop),
                    )
                    for r in rows
                ]
            )
        return results

    def _input_limit(self, max_tokens: int) -> int:
        """Input tokens allowed: a causal model's window must also hold the output."""
        if self.seq2seq or self.max_positions is None:
            return self.max_input_tokens
        return max(1, min(self.max_input_tokens, self.max_positions - max_tokens))

    def _lengths(self, generated: Any) -> tuple[list[int], list[bool]]:
        """Generated tokens per row up to and including the first end-of-sequence token,
        and whether the row reached one (False: cut at `max_tokens`)."""
        eos = self.network.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        lengths: list[int] = []
        ended: list[bool] = []
        for row in generated.tolist():
            end = next((k for k, token in enumerate(row) if token in eos_ids), None)
            lengths.append(end + 1 if end is not None else len(row))
            ended.append(end is not None)
        return lengths, ended


def _finish_reason(reached_eos: bool, text: str, stop: Sequence[str]) -> str:
    return "stop" if reached_eos or any(s and s in text for s in stop) else "length"


def _max_positions(config: Any) -> int | None:
    for key in ("max_position_embeddings", "n_positions"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _pick_device(torch: Any, device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but no CUDA GPU is available")
    return device


def _pick_dtype(torch: Any, dtype: str, device: str) -> Any:
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _seed_for(seed: int, texts: Sequence[str]) -> int:
    joined = "\x00".join([str(seed), *texts])
    digest = hashlib.sha256(joined.encode()).hexdigest()
    return int(digest[:15], 16)
