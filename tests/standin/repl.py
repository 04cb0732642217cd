"""Entry point of the stand-in REPL (a test double, never shipped): `python tests/standin/repl.py`.

The script's own folder is replaced on sys.path by tests/, so the modules next to
this file are imported as the package `standin` and cannot shadow the stdlib.
"""

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from standin.protocol import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
