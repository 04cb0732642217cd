"""The workbench's exceptions: one family, caught once at the command line.

Expected outcomes are values (a `Verdict`, a `Claim` with its `StopReason`); an
exception means the work could not be done at all, and its message is one sentence
for a person saying what failed and how to fix it. `leanwb` catches `WorkbenchError`
once, prints that sentence and exits with status 2; library callers catch the
subclass they can handle.

    WorkbenchError
    ├── ConfigError          a setting is malformed, or the REPL cannot start
    │   └── LeanUnavailableError   (prover.lean.process) no REPL executable / it died at start
    ├── TheoremTextError     a theorem's text cannot be read (no declaration, ambiguous name)
    ├── BudgetError          a budget specification is malformed
    ├── StrategyError        an unknown strategy, or options it cannot take
    ├── GenerationError      a model gave nothing (prover.generate)
    │   └── GenerationTimeout      (prover.generate.llm) the attempt's time ran out in a model call
    ├── SessionError         the generator, the index or the database cannot be opened
    ├── StoreError           the database cannot be read or written
    ├── DatasetError         a benchmark cannot be found, fetched or read
    ├── EvalError            a batch run cannot go on
    ├── ReportError          a run cannot be summarised
    ├── SetupError           `leanwb setup` cannot finish a step
    └── RetrievalError       the premise corpus, encoder or index failed (retrieval)
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose."""


class ConfigError(WorkbenchError, ValueError):
    """A setting is malformed; the message says which and how to fix it."""


class TheoremTextError(WorkbenchError, ValueError):
    """The text holds no usable declaration (or several without a name to choose)."""


class BudgetError(WorkbenchError, ValueError):
    """A budget specification (`wall=60,lean_calls=200`) is malformed."""


class StrategyError(WorkbenchError, ValueError):
    """An unknown strategy, or options the strategy cannot take."""


class GenerationError(WorkbenchError, RuntimeError):
    """A backend could not produce completions (server down, refused, out of retries, a
    malformed reply). `code` is the `StopReason` an attempt that stops on it reports."""

    code = "generator_error"


class SessionError(WorkbenchError, RuntimeError):
    """A part of the session could not be opened; the message says which and why."""


class StoreError(WorkbenchError, RuntimeError):
    """The database cannot be opened, read or written."""


class DatasetError(WorkbenchError, ValueError):
    """A benchmark cannot be found, fetched or read."""


class EvalError(WorkbenchError, RuntimeError):
    """A batch run cannot go on (its workers cannot start, its run is not an eval run)."""


class ReportError(WorkbenchError, ValueError):
    """A run cannot be summarised."""


class SetupError(WorkbenchError, RuntimeError):
    """A setup step failed; the message says which and what to do."""


class RetrievalError(WorkbenchError):
    """Premise retrieval failed: corpus, encoder, index or access."""
