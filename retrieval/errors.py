"""What can go wrong in retrieval, each as one clear sentence for the user.

Every exception here derives from `RetrievalError`, so the CLI catches one type and
prints its message; none of them should ever reach a user as a traceback.
"""

from __future__ import annotations

from prover.errors import RetrievalError


class CorpusError(RetrievalError):
    """A corpus file is missing or malformed (the message names the line)."""


class EncoderError(RetrievalError):
    """An encoder model cannot be found or loaded."""


class IndexLoadError(RetrievalError):
    """An index directory is missing, incomplete or inconsistent."""


class ModelMismatchError(RetrievalError):
    """Vectors from one model were about to be compared with an index built by another."""


class UnknownModuleError(RetrievalError):
    """`accessible_from` names a module or file the corpus does not know."""


class DumpError(RetrievalError):
    """The Lean declaration dump could not be run or its output is malformed."""
