"""Write the HTML report as a folder: `index.html` plus one graph page per attempt.

Graph pages come from the graph engineer's exporter (`prover.graph.export`) and sit
in `graphs/` beside the report, so the report links to them with relative paths
and the whole folder can be copied or archived and still works offline. Each
problem links to the node of its final proof (or best near-miss) on its page, and
shows that text inline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from prover.config import Price
from prover.eval.html_report import render_html
from prover.eval.summary import RunSummary
from prover.graph.export import attempt_page_name, render_attempt_html
from prover.graph.paths import FinalProof, final_proof
from prover.graph.queries import load_graph
from prover.graph.store import Store

GRAPHS_DIR = "graphs"


def write_html_report(
    store: Store,
    summary: RunSummary,
    out_dir: Path,
    *,
    graphs: bool,
    on_page: Callable[[int, int], None] | None = None,
    prices: Mapping[str, Price] | None = None,
) -> Path:
    """Write the report (and, if `graphs`, every linked graph page); returns index.html.

    `on_page(done, total)` is called after each attempt; `prices` (the config file's
    `[prices]`) adds what the tokens cost.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    links: dict[int, str] = {}
    finals: dict[int, FinalProof] = {}
    attempts = [r.attempt_id for r in summary.results if r.attempt_id is not None]
    if graphs:
        (out_dir / GRAPHS_DIR).mkdir(exist_ok=True)
    for done, attempt_id in enumerate(attempts, start=1):
        graph = load_graph(store, attempt_id)
        final = final_proof(graph)
        if final is not None:
            finals[attempt_id] = final
        if graphs:
            name = attempt_page_name(attempt_id)
            page = render_attempt_html(graph)
            (out_dir / GRAPHS_DIR / name).write_text(page, encoding="utf-8")
            anchor = f"#node-{final.node}" if final is not None else ""
            links[attempt_id] = f"{GRAPHS_DIR}/{name}{anchor}"
        if on_page is not None:
            on_page(done, len(attempts))
    index = out_dir / "index.html"
    index.write_text(render_html(summary, links, finals, prices or {}), encoding="utf-8")
    return index
