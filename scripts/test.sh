#!/usr/bin/env bash
# Set up a virtual environment with everything the tests need, then lint and run the suite.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -k bridge`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
python -m pip install -q --disable-pip-version-check torch==2.13.0
python -m pip install -q --disable-pip-version-check -e '.[test]'
# kimina-client (the Kimina Lean server's client, which the serve tests run against) needs
# Python >= 3.12 and does not declare its pygments dependency: it gets an environment of its own.
if [ ! -x .venv-kimina/bin/python ]; then
  py312=""
  for candidate in python3.14 python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      py312=$candidate
      break
    fi
  done
  if [ -n "$py312" ]; then
    "$py312" -m venv .venv-kimina
    .venv-kimina/bin/python -m pip install -q --disable-pip-version-check kimina-client==0.2.1 pygments
  else
    echo "no Python >= 3.12 found: the kimina-client tests will skip and say so" >&2
  fi
fi
ruff check .
ruff format --check .
set +e
python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
