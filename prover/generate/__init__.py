"""Candidate generators (heuristic, transformers, OpenAI-compatible) and model backends.

Build them from a spec with `make_generator` / `make_language_model`; see `registry`.
"""

from prover.errors import GenerationError
from prover.generate.heuristic import HeuristicGenerator
from prover.generate.llm import Completion, LanguageModel
from prover.generate.registry import make_generator, make_language_model, parse_spec

__all__ = [
    "Completion",
    "GenerationError",
    "HeuristicGenerator",
    "LanguageModel",
    "make_generator",
    "make_language_model",
    "parse_spec",
]
