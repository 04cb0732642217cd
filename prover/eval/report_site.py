"""Write the HTML report as a folder: `index.html` plus one graph page per attempt.

Graph pages come from the graph engineer's exporter (`prover.graph.export`) and sit
in `graphs/` beside the report, so the report links to them with relative paths
and the whole folder can be copied or archived and still works offline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prover.eval.html_report import render_html
from prover.eval.summary import RunSummary
from prover.graph.export import attempt_page_name, export_attempt_html
from prover.graph.store import Store

GRAPHS_DIR = "graphs"


def write_html_report(
    store: Store,
    summary: RunSummary,
    out_dir: Path,
    *,
    graphs: bool,
    on_page: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the report (and, if `graphs`, every linked graph page); returns index.html.

    `on_page(done, total)` is called after each graph page.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    links: dict[int, str] = {}
    attempts = [r.attempt_id for r in summary.results if r.attempt_id is not None] if graphs else []
    for done, attempt_id in enumerate(attempts, start=1):
        name = attempt_page_name(attempt_id)
        export_attempt_html(store, attempt_id, out_dir / GRAPHS_DIR / name)
        links[attempt_id] = f"{GRAPHS_DIR}/{name}"
        if on_page is not None:
            on_page(done, len(attempts))
    index = out_dir / "index.html"
    index.write_text(render_html(summary, links), encoding="utf-8")
    return index
