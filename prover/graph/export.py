"""Offline HTML for provenance graphs: one self-contained page per attempt, and a site
with an index page per run.

A page is static HTML, CSS and JS from `assets/`, plus the graph as JSON inside a
`<script type="application/json">` block. Nothing untrusted is spliced into markup:
the JSON has `<`, `>`, `&`, U+2028 and U+2029 escaped, and the page's script puts
every string into the DOM with `textContent`, invisible characters (bidi overrides,
zero-width and other format or control characters; `prover.visible`) as escapes. A
Content-Security-Policy admits only the page's own script and style (by hash) and no
network access at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from prover.graph.layout import layout_graph
from prover.graph.paths import Derivations, derivations, proof_path
from prover.graph.queries import Graph, GraphEdge, GraphNode, load_graph
from prover.graph.store import AttemptRow, Store
from prover.types import VerdictKind
from prover.visible import js_control_class, visible, visible_html

FORMAT_VERSION = 1
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def script_json(value: Any) -> str:
    """JSON that can sit inside a `<script>` element whatever strings it holds."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def _asset(name: str) -> str:
    return (resources.files("prover.graph") / "assets" / name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def _fill(template: str, values: Mapping[str, str]) -> str:
    """Substitute `{{NAME}}` placeholders in one pass: inserted text is never rescanned."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _page(
    template: str, title: str, style: str, script: str, body_values: Mapping[str, str]
) -> str:
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}"
    )
    return _fill(
        template,
        {
            "CSP": csp,
            "TITLE": html.escape(visible(title)),
            "STYLE": style,
            "SCRIPT": script,
            **body_values,
        },
    )


# ---- one attempt -------------------------------------------------------------------


def _spent(attempt: AttemptRow) -> dict[str, float | int]:
    return attempt.spent.as_dict()


def _summary(graph: Graph) -> dict[str, Any]:
    attempt, run, theorem = graph.attempt, graph.run, graph.attempt.theorem
    return {
        "theorem": {
            "name": theorem.name,
            "header": theorem.header,
            "statement": theorem.statement,
            "source": theorem.source,
            "informal": theorem.informal_statement,
        },
        "attempt": {
            "id": attempt.id,
            "strategy": attempt.strategy,
            "status": attempt.status,
            "verdict": attempt.verdict.value if attempt.verdict else None,
            "reason": attempt.reason,
            "detail": attempt.detail,
            "proof": attempt.proof,
            "axioms": list(attempt.axioms),
            "spent": _spent(attempt),
            "started": attempt.started_at,
            "ended": attempt.ended_at,
        },
        "run": {
            "id": run.id,
            "kind": run.kind,
            "command": run.command,
            "version": run.package_version,
            "git": run.git_revision,
            "host": run.host,
            "started": run.started_at,
        },
    }


class _Interner:
    """Numbers repeated values (a generator's settings, a premise), so each is sent once."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[Hashable, int] = {}

    def __call__(self, key: Hashable, value: Any) -> int:
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(value)
        return self._index[key]


def _node_json(node: GraphNode, layer: int, order: int, found: Derivations) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": node.id,
        "k": node.kind.value,
        "s": node.status,
        "t": node.text,
        "L": layer,
        "O": order,
    }
    if node.goals and "\n\n".join(node.goals) != node.text:
        data["g"] = list(node.goals)
    if node.id in found.best_edge:
        data["b"] = found.best_edge[node.id]
    if node.id in found.cost:
        data["d"] = found.cost[node.id]
    if node.meta:
        data["m"] = node.meta
    return data


def _edge_json(edge: GraphEdge, proposers: _Interner, premises: _Interner) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": edge.id,
        "k": edge.kind.value,
        "p": list(edge.parents),
        "c": edge.child,
        "a": edge.action,
        "st": edge.strategy,
    }
    if edge.generator is not None:
        proposer = {
            "generator": edge.generator,
            "model": edge.model,
            "settings": edge.settings or {},
            "prompt_hash": edge.prompt_hash,
        }
        data["pr"] = proposers(json.dumps(proposer, sort_keys=True, default=str), proposer)
    if edge.score is not None:
        data["sc"] = edge.score
    if edge.lean_status is not None:
        data["ls"] = edge.lean_status
        data["ms"] = edge.lean_elapsed_ms
    if edge.lean_messages:
        data["msg"] = list(edge.lean_messages)
    if edge.premises:
        data["pm"] = [
            [
                premises((p.name, p.module, p.statement), [p.name, p.module, p.statement]),
                p.rank,
                p.score,
            ]
            for p in edge.premises
        ]
    if edge.meta:
        data["m"] = edge.meta
    return data


def graph_data(graph: Graph) -> dict[str, Any]:
    """Everything the page shows, in the compact form its script reads."""
    found = derivations(graph)
    path = proof_path(graph, found)
    layout = layout_graph(graph, found, pinned=path.nodes)
    proposers, premises = _Interner(), _Interner()
    return {
        "version": FORMAT_VERSION,
        "summary": _summary(graph),
        "roots": list(graph.roots),
        "nodes": [
            _node_json(n, layout.layer[n.id], layout.order[n.id], found)
            for n in graph.nodes.values()
        ],
        "edges": [_edge_json(e, proposers, premises) for e in graph.edges.values()],
        "proposers": proposers.items,
        "premises": premises.items,
        "path": {"nodes": list(path.nodes), "edges": list(path.edges)},
        "events": [
            {"k": e.kind, "msg": e.message, "data": e.data, "t": e.created_at} for e in graph.events
        ],
        "exported": time.time(),
        "controls": js_control_class(),
    }


def render_attempt_html(graph: Graph) -> str:
    title = f"{graph.attempt.theorem.name} — attempt {graph.attempt.id}"
    return _page(
        _asset("page.html"),
        title,
        _asset("page.css"),
        _asset("page.js"),
        {"DATA": script_json(graph_data(graph))},
    )


def export_attempt_html(store: Store, attempt_id: int, out: Path) -> Path:
    """Write the page of one attempt to `out` (its folder is created); returns `out`."""
    page = render_attempt_html(load_graph(store, attempt_id))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


# ---- a run as a site ----------------------------------------------------------------


@dataclass(frozen=True)
class SiteRow:
    """One theorem of a run: the attempt its row links to, and the others."""

    main: AttemptRow
    others: tuple[AttemptRow, ...]


def attempt_page_name(attempt_id: int) -> str:
    return f"attempt-{attempt_id}.html"


def _rank(attempt: AttemptRow) -> tuple[bool, bool, int]:
    """Prefer a proof, then a finished attempt, then the latest one."""
    return attempt.verdict is VerdictKind.PROVED, attempt.status == "done", attempt.id


def site_rows(attempts: list[AttemptRow]) -> list[SiteRow]:
    by_theorem: dict[tuple[str, str], list[AttemptRow]] = {}
    for attempt in attempts:
        key = (attempt.theorem.name, attempt.theorem.statement_hash)
        by_theorem.setdefault(key, []).append(attempt)
    rows = []
    for key in sorted(by_theorem):
        group = sorted(by_theorem[key], key=_rank, reverse=True)
        rows.append(SiteRow(main=group[0], others=tuple(group[1:])))
    return rows


def _cell(text: str, cls: str = "") -> str:
    attr = f' class="{html.escape(cls)}"' if cls else ""
    return f"<td{attr}>{visible_html(text)}</td>"


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{visible_html(text)}</a>'


def _index_row(row: SiteRow) -> str:
    attempt = row.main
    verdict = attempt.verdict.value if attempt.verdict else attempt.status
    spent = attempt.spent
    name = _link(attempt_page_name(attempt.id), attempt.theorem.name)
    others = " ".join(_link(attempt_page_name(o.id), f"#{o.id}") for o in row.others)
    return (
        "<tr>"
        f'<td class="name">{name}</td>'
        + _cell(verdict, f"verdict {verdict}")
        + _cell(attempt.strategy)
        + _cell(attempt.reason or "")
        + _cell(str(spent.lean_calls), "num")
        + _cell(f"{spent.lean_s:.1f}", "num")
        + _cell(str(spent.tokens_in + spent.tokens_out), "num")
        + _cell(f"{spent.wall_s:.1f}", "num")
        + f'<td class="others">{others}</td>'
        + "</tr>"
    )


def render_index_html(store: Store, run_id: int, rows: list[SiteRow]) -> str:
    run = store.run(run_id)
    proved = sum(1 for r in rows if r.main.verdict is VerdictKind.PROVED)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started_at))
    summary = (
        f"<h1>Run {run.id}: {html.escape(run.kind)}</h1>"
        f'<p class="meta"><code>{html.escape(run.command)}</code></p>'
        f'<p class="meta">{html.escape(when)} on {html.escape(run.host)}'
        f" · leanwb {html.escape(run.package_version or '?')}"
        f" · git {html.escape((run.git_revision or 'unknown')[:12])}</p>"
        f'<p class="score"><strong>{proved}</strong> of <strong>{len(rows)}</strong>'
        " theorems proved</p>"
    )
    return _page(
        _asset("index.html"),
        f"Run {run.id} — leanwb",
        _asset("index.css"),
        _asset("index.js"),
        {"SUMMARY": summary, "ROWS": "\n".join(_index_row(r) for r in rows)},
    )


def export_run_site(
    store: Store,
    run_id: int,
    out_dir: Path,
    on_page: Callable[[int, int], None] | None = None,
) -> Path:
    """Write `index.html` and one page per attempt of the run into `out_dir`; returns
    the index path. `on_page(done, total)` is called after each page."""
    store.run(run_id)  # raises StoreError for an unknown run
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    attempts = store.attempts_for_run(run_id)
    for done, attempt in enumerate(attempts, start=1):
        export_attempt_html(store, attempt.id, out_dir / attempt_page_name(attempt.id))
        if on_page is not None:
            on_page(done, len(attempts))
    index = out_dir / "index.html"
    index.write_text(render_index_html(store, run_id, site_rows(attempts)), encoding="utf-8")
    return index
