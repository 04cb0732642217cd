"""A wheel built from a clean checkout works without the checkout.

The committed tree (`git archive HEAD`) is built into a wheel with no network, installed
into a fresh virtual environment, and run from an unrelated folder: `leanwb --version`,
`leanwb datasets list` (every manifest), `leanwb setup --help`, and `leanwb setup
--project DIR` writing the Lake project template from the installed package. The new
environment sees the running interpreter's packages (torch, typer, …) through a `.pth`
line, so nothing is downloaded; the workbench itself comes from the wheel only.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
import venv
from pathlib import Path

import pytest

from prover import __version__
from prover.eval.datasets import list_manifests
from prover.lean.template import template_files

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(the venv's bin folder, a clean environment, a folder outside the checkout)."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to build from its committed tree")
    base = tmp_path_factory.mktemp("wheel")
    archive = base / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "HEAD"], stdout=out, check=True)
    source = base / "src"
    with tarfile.open(archive) as tar:
        tar.extractall(source, filter="data")
    wheels = base / "wheels"
    build = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("--no-index", "-w", str(wheels), str(source)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("lean_workbench-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        base,
        {"PATH": os.environ["PATH"]},
    ).stdout.strip()
    # The running interpreter's third-party packages, appended after the venv's own.
    Path(purelib, "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install", "-q"),
            # The outer packages may hold an editable install of this checkout, which pip
            # would otherwise take as already satisfied.
            *("--no-deps", "--ignore-installed", "--no-index", str(wheel)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    outside = base / "elsewhere"
    outside.mkdir()
    env = {
        "PATH": f"{env_dir / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(base / "home"),
        "XDG_DATA_HOME": str(base / "data"),
        "XDG_CACHE_HOME": str(base / "cache"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "ELAN_HOME": str(base / "elan"),
        "COLUMNS": "400",
    }
    return env_dir / "bin", env, outside


def test_the_installed_package_is_the_wheels(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, outside = installed
    where = run(
        [str(bin_dir / "python"), "-c", "import prover; print(prover.__file__)"], outside, env
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(bin_dir.parent), where.stdout


def test_version_and_every_manifest_without_a_checkout(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    bin_dir, env, outside = installed
    version = run([str(bin_dir / "leanwb"), "--version"], outside, env)
    assert (version.returncode, version.stdout.strip()) == (0, f"leanwb {__version__}")
    listed = run([str(bin_dir / "leanwb"), "datasets", "list", "--json"], outside, env)
    assert listed.returncode == 0, listed.stderr
    names = {row["name"] for row in json.loads(listed.stdout)}
    assert names == {m.name for m in list_manifests()}
    assert {"minif2f", "minif2f-v4.24", "proofnet", "proofnet-verified"} <= names
    pinned = {row["name"]: row["pinned_lean"] for row in json.loads(listed.stdout)}
    assert pinned["minif2f-v4.24"] == "4.24.0"  # read from the installed template


def test_setup_writes_the_installed_template(
    installed: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    bin_dir, env, outside = installed
    helped = run([str(bin_dir / "leanwb"), "setup", "--help"], outside, env)
    assert helped.returncode == 0 and "--project" in helped.stdout
    with socket.socket() as sock:  # a closed port: the elan download fails at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    project = tmp_path / "project"
    offline = {**env, "LEANWB_ELAN_INSTALLER_URL": f"http://127.0.0.1:{port}/elan-init.sh"}
    setup = run([str(bin_dir / "leanwb"), "setup", "--project", str(project)], outside, offline)
    if shutil.which("git", path=env["PATH"]) is None:
        assert "`git` is not installed" in setup.stderr
    else:
        assert "could not download the elan installer" in setup.stderr
    assert setup.returncode == 2 and "Traceback" not in setup.stderr
    for relative in template_files():
        assert (project / relative).is_file(), relative
    deep = run([str(bin_dir / "leanwb"), "doctor", "--deep"], outside, env)
    assert deep.returncode == 1 and "Traceback" not in deep.stderr
    assert "deep checks not run: Lean is missing" in " ".join(deep.stdout.split())
