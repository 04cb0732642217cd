"""`leanwb setup`: write the Lake project, install or find elan, fetch Mathlib's build
cache, build the REPL.

Every step is a subprocess started with an argv list (never a shell string), its
output streamed to a progress callback. A step that fails raises `SetupError`
with one sentence saying what failed and what to do; nothing else escapes.

The elan installer is downloaded with urllib to a temporary file and run with
`sh`; its URL can be overridden with `LEANWB_ELAN_INSTALLER_URL` (a mirror, or a
test pointing it at a closed port to simulate having no network).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from prover.errors import SetupError
from prover.lean.template import TemplateError, write_project

ELAN_INSTALLER_URL = "https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh"
INSTALLER_URL_ENV = "LEANWB_ELAN_INSTALLER_URL"
DOWNLOAD_TIMEOUT_S = 60.0
OUTPUT_TAIL_LINES = 20


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    cwd: Path | None
    hint: str  # what to do when this step fails
    required: bool = True  # a step that is not required only warns when it fails


# Called with (step number, step count, title) when a step starts, and with each output line.
StepCallback = Callable[[int, int, str], None]
LineCallback = Callable[[str], None]


def elan_home() -> Path:
    return Path(os.environ.get("ELAN_HOME") or Path.home() / ".elan")


def find_tool(name: str) -> Path | None:
    """`name` on PATH, else in elan's bin folder (where a fresh install puts it)."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidate = elan_home() / "bin" / name
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def pinned_toolchain(project_dir: Path) -> str:
    path = project_dir / "lean-toolchain"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SetupError(
            f"cannot read {path} ({exc.strerror}); run `leanwb setup` (it writes the Lean "
            "project there), or set LEANWB_LEAN_PROJECT to a project it wrote"
        ) from None


def toolchain_dir(toolchain: str) -> Path:
    """Where elan keeps `toolchain` (`leanprover/lean4:v4.24.0` → `leanprover--lean4---v4.24.0`)."""
    return elan_home() / "toolchains" / toolchain.replace("/", "--").replace(":", "---")


def installer_url() -> str:
    return os.environ.get(INSTALLER_URL_ENV) or ELAN_INSTALLER_URL


def download(url: str, dest: Path, timeout: float = DOWNLOAD_TIMEOUT_S) -> None:
    """Fetch `url` into `dest`, or raise SetupError naming the URL and the cause."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, dest.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SetupError(
            f"could not download the elan installer from {url} ({reason}); check the network "
            "connection, or install elan by hand (https://github.com/leanprover/elan) and rerun "
            "`leanwb setup`"
        ) from None


def run_streaming(
    argv: Sequence[str], cwd: Path | None, on_line: LineCallback, tail_lines: int
) -> tuple[int, list[str]]:
    """Run `argv` (no shell) with stdout and stderr merged, passing each non-empty line to
    `on_line`; its exit code and last `tail_lines` lines. OSError if it cannot start."""
    tail: deque[str] = deque(maxlen=tail_lines)
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None
    with proc.stdout:
        for raw in proc.stdout:
            line = raw.rstrip()
            if line:
                tail.append(line)
                on_line(line)
    return proc.wait(), list(tail)


def run_step(step: Step, on_line: LineCallback) -> None:
    """Run one step, streaming its merged stdout/stderr; SetupError if it fails."""
    try:
        code, tail = run_streaming(step.argv, step.cwd, on_line, OUTPUT_TAIL_LINES)
    except OSError as exc:
        raise SetupError(
            f"{step.title} could not start `{step.argv[0]}` ({exc.strerror}); {step.hint}"
        ) from None
    if code != 0:
        last = f": {tail[-1]}" if tail else ""
        raise SetupError(f"{step.title} failed (exit status {code}){last}; {step.hint}")


def install_elan(toolchain: str, on_line: LineCallback) -> Path:
    """Download and run the elan installer; the path of the `lake` it installed."""
    with tempfile.TemporaryDirectory(prefix="leanwb-elan-") as tmp:
        script = Path(tmp) / "elan-init.sh"
        download(installer_url(), script)
        run_step(
            Step(
                "installing elan",
                ("sh", str(script), "-y", "--default-toolchain", toolchain),
                None,
                "install elan by hand (https://github.com/leanprover/elan) and rerun setup",
            ),
            on_line,
        )
    lake = find_tool("lake")
    if lake is None:
        raise SetupError(
            f"elan was installed but `lake` is not in {elan_home() / 'bin'}; open a new shell "
            "(or run `source ~/.elan/env`) and rerun `leanwb setup`"
        )
    return lake


def project_steps(project_dir: Path, lake: Path) -> list[Step]:
    """The Lake steps, in order. The REPL's commit is in the committed `lake-manifest.json`,
    so nothing is resolved here: Lake fetches exactly the pinned revisions."""
    lake_bin = str(lake)
    retry = "check the network connection and rerun `leanwb setup`"
    return [
        Step(
            "fetching Mathlib's build cache",
            (lake_bin, "exe", "cache", "get"),
            project_dir,
            f"{retry} (the cache is downloaded from Mathlib's servers)",
        ),
        Step(
            "building the REPL",
            (lake_bin, "build", "repl"),
            project_dir,
            "see the Lake output above; `lake clean` in the Lean project and rerun if it persists",
        ),
        Step(
            "building the corpus dumper",
            (lake_bin, "build", "dump_corpus"),
            project_dir,
            "only `leanwb index dump-corpus` needs it; see the Lake output above",
            required=False,
        ),
    ]


@dataclass(frozen=True)
class SetupResult:
    lake: Path
    toolchain: str
    installed_elan: bool
    repl_binary: Path
    written: tuple[Path, ...] = ()  # template files added or brought up to date
    warnings: tuple[str, ...] = ()  # optional steps that failed


def run_setup(
    project_dir: Path, repl_binary: Path, on_step: StepCallback, on_line: LineCallback
) -> SetupResult:
    """Write the Lake project template into `project_dir`, then make it ready: elan and its
    toolchain, Mathlib's cache, the REPL and the workbench's helpers."""
    try:
        written = tuple(write_project(project_dir))
    except TemplateError as exc:
        raise SetupError(str(exc)) from None
    toolchain = pinned_toolchain(project_dir)
    for tool in ("git", "curl"):
        if shutil.which(tool) is None:
            raise SetupError(
                f"`{tool}` is not installed, and Lake needs it to fetch Mathlib; install {tool} "
                "with your system's package manager and rerun `leanwb setup`"
            )
    lake = find_tool("lake")
    installed = lake is None
    total = len(project_steps(project_dir, lake or Path("lake"))) + int(installed)
    if lake is None:
        on_step(1, total, f"installing elan and {toolchain}")
        lake = install_elan(toolchain, on_line)
    warnings: list[str] = []
    for number, step in enumerate(project_steps(project_dir, lake), start=1 + int(installed)):
        on_step(number, total, step.title)
        try:
            run_step(step, on_line)
        except SetupError as exc:
            if step.required:
                raise
            warnings.append(str(exc))
    binary = project_dir / repl_binary
    if not binary.is_file():
        raise SetupError(
            f"the REPL build finished but {binary} does not exist; run `lake build repl` in "
            f"{project_dir} and read its output"
        )
    return SetupResult(
        lake=lake,
        toolchain=toolchain,
        installed_elan=installed,
        repl_binary=binary,
        written=written,
        warnings=tuple(warnings),
    )
