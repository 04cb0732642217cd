"""`leanwb doctor`: can this machine prove? Each finding says what is wrong and how to fix it.

Findings: the Lean toolchain (elan, lake, the pinned toolchain), Mathlib's build,
the REPL (its binary, a one-command probe that it speaks the protocol, and how long
it takes to import `import Mathlib` against its bound `header_timeout_s`), the
Python dependencies, the models of the config file's `[models]` table and the
database. With a custom REPL command (`--repl-cmd`, `LEANWB_REPL_CMD` or the config
file) the probe decides alone: the toolchain and Mathlib of lean_project/ are then not
required.

Models: each `openai:` model (generator, drafter, sketcher) is probed with
`GET {base_url}/models` (base URL from `[models]`, else $OPENAI_BASE_URL; timeout
3 s). Any failure makes the finding not ok, but it blocks `ready` only when the
default generator is the model that cannot be reached: then a plain `leanwb prove`
cannot work, while drafting models serve `--strategy sketch` only.

Nothing here changes the machine: no download, no build, no database created.
`--deep` (`prover.lean.deep_check`) goes further once these findings say ready.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shlex
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from prover.config import PROJECT_TEMPLATE_DIR, REPL_BINARY, Settings, api_key, default_repl_cmd
from prover.gate_digest import gate_digest
from prover.lean.process import LeanUnavailableError, ReplProcess
from prover.lean.protocol import check_result
from prover.lean.setup import SetupError, elan_home, find_tool, pinned_toolchain, toolchain_dir
from prover.redact import has_userinfo, redact
from prover.types import CallStatus

PROBE_COMMAND = "example : True := trivial"
PROBE_HEADER = "import Mathlib"  # what benchmark problems import: its time is every run's
PROBE_TIMEOUT_S = 120.0
MATHLIB_OLEAN = Path(".lake/packages/mathlib/.lake/build/lib/lean/Mathlib.olean")
SETUP_FIX = (
    "run `leanwb setup` (it writes the Lean project, installs elan and the pinned toolchain, "
    "fetches Mathlib's build cache and builds the REPL), or point LEANWB_REPL_CMD at a "
    "working Lean REPL"
)
# (import name, distribution name, needed to prove): the rest serve retrieval and models.
PYTHON_MODULES = (
    ("sqlalchemy", "sqlalchemy", True),
    ("typer", "typer", True),
    ("rich", "rich", True),
    ("platformdirs", "platformdirs", True),
    ("psutil", "psutil", True),
    ("numpy", "numpy", False),
    ("faiss", "faiss-cpu", False),
    ("torch", "torch", False),
    ("transformers", "transformers", False),
    ("sentence_transformers", "sentence-transformers", False),
    ("ray", "ray", False),
)
MODEL_PROBE_TIMEOUT_S = 3.0
MODEL_ROLES = ("generator", "drafter", "sketcher")


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    required: bool
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def ready(self) -> bool:
        """True when proving can work: every required finding is fine."""
        return all(f.ok for f in self.findings if f.required)

    def as_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "checks": [asdict(f) for f in self.findings]}


def lean_pin(settings: Settings) -> str:
    """`<toolchain>; Mathlib <rev>` as pinned by the Lean project, flagged when the REPL
    command is a custom one (then the pin describes the project, not what ran). Before
    `leanwb setup` has written the project, the shipped template's pin."""
    project_dir = settings.lean.project_dir
    if not (project_dir / "lean-toolchain").is_file():
        project_dir = PROJECT_TEMPLATE_DIR
    try:
        toolchain = pinned_toolchain(project_dir)
    except SetupError:
        return f"unknown (no lean-toolchain in {project_dir})"
    mathlib = "unknown"
    manifest_file = project_dir / "lake-manifest.json"
    try:
        packages = json.loads(manifest_file.read_text(encoding="utf-8")).get("packages", [])
    except (OSError, ValueError, AttributeError):
        packages = []
    for package in packages:
        if isinstance(package, dict) and package.get("name") == "mathlib":
            mathlib = str(package.get("rev", "unknown"))
    pin = f"{toolchain}; Mathlib {mathlib}"
    return f"{pin} (custom REPL command)" if uses_custom_repl(settings) else pin


def check_pin(settings: Settings) -> str:
    """What a cached check's answer holds for: the Lean pin, the exact REPL command (so a
    stand-in's answers are never served for Lean's) and the gate's code (`gate_digest`)."""
    repl = shlex.join(settings.lean.repl_cmd)
    return f"{lean_pin(settings)} | {repl} | gate {gate_digest()}"


def uses_custom_repl(settings: Settings) -> bool:
    return settings.lean.repl_cmd != default_repl_cmd(settings.lean.project_dir)


def _toolchain(settings: Settings, custom: bool) -> Finding:
    project = settings.lean.project_dir
    elan, lake = find_tool("elan"), find_tool("lake")
    try:
        pinned: str | None = pinned_toolchain(project)
    except SetupError:
        pinned = None
    required = not custom
    if lake is None:
        return Finding(
            "toolchain",
            False,
            required,
            "Lean is not installed: neither `elan` nor `lake` is on PATH or in "
            f"{elan_home() / 'bin'}"
            + (" (not needed: a custom REPL is configured)" if custom else ""),
            SETUP_FIX,
        )
    where = f"lake at {lake}" + (f", elan at {elan}" if elan else "")
    if pinned is None:
        return Finding(
            "toolchain",
            False,
            required,
            f"{where}, but {project} has no lean-toolchain file (the Lean project is not "
            "written yet)",
            SETUP_FIX,
        )
    if elan is not None and not toolchain_dir(pinned).is_dir():
        return Finding(
            "toolchain",
            False,
            required,
            f"{where}, but the pinned toolchain {pinned} is not installed",
            SETUP_FIX,
        )
    on_path = (
        ""
        if os.path.dirname(str(lake)) in os.environ.get("PATH", "").split(os.pathsep)
        else (" (not on PATH: run `source ~/.elan/env` so `lake env` can start the REPL)")
    )
    return Finding("toolchain", True, required, f"{where}; pinned {pinned}{on_path}")


def _mathlib(settings: Settings, custom: bool) -> Finding:
    if custom:
        return Finding(
            "mathlib", True, False, "not required: the custom REPL brings its own environment"
        )
    olean = settings.lean.project_dir / MATHLIB_OLEAN
    if olean.is_file():
        return Finding("mathlib", True, True, f"built ({olean})")
    return Finding(
        "mathlib", False, True, f"Mathlib's build is missing ({olean} does not exist)", SETUP_FIX
    )


def probe_repl(argv: tuple[str, ...], cwd: Path | None, timeout: float) -> tuple[bool, str]:
    """Start the REPL, send one tiny command, and say whether it answered as a REPL does."""
    process = ReplProcess(argv, cwd=cwd)
    started = time.monotonic()
    try:
        result = check_result(process.request({"cmd": PROBE_COMMAND}, timeout))
    except LeanUnavailableError as exc:
        return False, str(exc)
    finally:
        process.stop()
    elapsed = time.monotonic() - started
    if result.status is not CallStatus.OK:
        return False, f"it did not answer `{PROBE_COMMAND}` ({result.status.value}: {result.error})"
    if result.errors:
        return False, f"it answered `{PROBE_COMMAND}` with an error: {result.errors[0].text}"
    return True, f"speaks the REPL protocol (answered `{PROBE_COMMAND}` in {elapsed:.1f} s)"


def probe_header(
    argv: tuple[str, ...], cwd: Path | None, header: str, timeout: float
) -> tuple[bool, str]:
    """Import `header` in a fresh REPL, as the pool does once per process, and say how
    long it took; `timeout` is the header's bound (`header_timeout_s`)."""
    process = ReplProcess(argv, cwd=cwd)
    try:
        result = check_result(process.request({"cmd": header}, timeout))
    except LeanUnavailableError as exc:
        return False, str(exc)
    finally:
        process.stop()
    if result.status is not CallStatus.OK:
        return False, f"`{header}` did not import within header_timeout_s = {timeout:g} s"
    if result.errors:
        return False, f"`{header}` failed: {result.errors[0].text}"
    return True, f"`{header}` took {result.elapsed_s:.1f} s (header_timeout_s = {timeout:g} s)"


def _repl(
    settings: Settings, custom: bool, probe_timeout: float, needs: Sequence[Finding] = ()
) -> Finding:
    """The REPL finding; it starts the REPL only when what the REPL needs (`needs`:
    the toolchain and Mathlib findings) is ready, since `lake env` with a missing
    toolchain would start downloading one instead of answering."""
    lean = settings.lean
    command = shlex.join(lean.repl_cmd)
    cwd = lean.project_dir if lean.project_dir.is_dir() else None
    missing = [finding for finding in needs if finding.required and not finding.ok]
    if missing:
        names = " and ".join(finding.name for finding in missing)
        return Finding(
            "repl", False, True, f"`{command}`: not started ({names} missing)", SETUP_FIX
        )
    if not custom:
        binary = lean.project_dir / REPL_BINARY
        if not binary.is_file():
            return Finding(
                "repl", False, True, f"the REPL is not built ({binary} is missing)", SETUP_FIX
            )
        if find_tool("lake") is None:
            return Finding(
                "repl", False, True, f"built at {binary}, but `lake` is missing", SETUP_FIX
            )
    ok, detail = probe_repl(lean.repl_cmd, cwd, probe_timeout)
    if ok:
        imported, said = probe_header(lean.repl_cmd, cwd, PROBE_HEADER, lean.header_timeout_s)
        detail += f"; header {said}"
        ok = imported or custom  # a custom REPL may serve problems without Mathlib
    fix = (
        None
        if ok
        else (
            "check the command (it must start a REPL reading JSON on stdin)"
            if custom
            else SETUP_FIX
        )
    )
    return Finding("repl", ok, True, f"`{command}`: {detail}", fix)


def _python() -> Finding:
    missing_required: list[str] = []
    missing_optional: list[str] = []
    found: list[str] = []
    for module, distribution, needed in PYTHON_MODULES:
        if importlib.util.find_spec(module) is None:
            (missing_required if needed else missing_optional).append(distribution)
            continue
        try:
            found.append(f"{distribution} {importlib.metadata.version(distribution)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(distribution)
    detail = ", ".join(found)
    if missing_optional:
        detail += f"; missing (retrieval and models only): {', '.join(missing_optional)}"
    if missing_required:
        return Finding(
            "python",
            False,
            True,
            f"missing: {', '.join(missing_required)}",
            "reinstall the package: pip install -e . (or pip install lean-workbench)",
        )
    return Finding("python", True, True, detail)


def served_models(base_url: str) -> tuple[list[str] | None, str]:
    """Ask an OpenAI-compatible server which models it serves: (their ids, or None when
    it did not answer with a list; what happened, in words)."""
    url = base_url.rstrip("/") + "/models"
    if has_userinfo(url):
        return None, f"{redact(base_url)} carries a user name or key: give the key apart"
    if not url.startswith(("http://", "https://")):
        return None, f"{base_url} is not an http(s) URL"
    key = api_key()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=MODEL_PROBE_TIMEOUT_S) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        return None, f"{url} answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, timed out, unresolvable, bad URL
        reason = getattr(exc, "reason", None) or exc
        return None, f"{url} did not answer ({reason})"
    try:
        return [str(entry["id"]) for entry in json.loads(body)["data"]], f"{url} answered"
    except (ValueError, KeyError, TypeError):
        return None, f"{url} answered without a model list"


def _models(settings: Settings) -> Finding:
    models = settings.models
    origin = f"[models] of {settings.config_file}" if settings.config_file else "defaults"
    base_url = models.base_url or os.environ.get("OPENAI_BASE_URL")
    probe: tuple[list[str] | None, str] | None = None  # one request serves every role
    described: list[str] = []
    failed: list[str] = []
    for role in MODEL_ROLES:
        spec = getattr(models, role)
        if spec is None:
            continue
        scheme, _, model = spec.partition(":")
        if scheme != "openai":
            described.append(f"{role} {spec}")
            continue
        if base_url is None:
            served, said = None, "no base URL"
        else:
            probe = probe or served_models(base_url)
            served, said = probe
        if served is not None and model.strip() not in served:
            said += f" but does not serve {model.strip()!r} (it serves {', '.join(served)})"
            served = None
        described.append(f"{role} {spec}: {said}")
        if served is None:
            failed.append(role)
    detail = f"{origin}: " + "; ".join(described)
    if not failed:
        return Finding("models", True, False, detail)
    fix = (
        "set base_url in [models] (or $OPENAI_BASE_URL) to the server's URL ending in /v1"
        if base_url is None
        else f"start the server at {base_url}, or fix base_url and the model names in [models]"
    )
    return Finding("models", False, "generator" in failed, detail, fix)


def _database(settings: Settings) -> Finding:
    path = settings.db_path
    fix = "set LEANWB_DB (or --db) to a writable path"
    if path.exists():
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
                tables = connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
        except sqlite3.Error as exc:
            return Finding("database", False, True, f"{path} cannot be read as SQLite: {exc}", fix)
        return Finding("database", True, True, f"{path} ({tables} tables)")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK):
        return Finding("database", True, True, f"{path} (will be created on first use)")
    return Finding(
        "database", False, True, f"{path} cannot be created ({parent} is read-only)", fix
    )


def diagnose(settings: Settings, probe_timeout: float = PROBE_TIMEOUT_S) -> Report:
    custom = uses_custom_repl(settings)
    toolchain, mathlib = _toolchain(settings, custom), _mathlib(settings, custom)
    return Report(
        (
            toolchain,
            mathlib,
            _repl(settings, custom, probe_timeout, needs=(toolchain, mathlib)),
            _python(),
            _models(settings),
            _database(settings),
        )
    )
