"""A provenance graph as a rich Tree, for `leanwb graph show`.

The graph is a DAG with shared states, so the tree shows each node once, the first
time it is reached (the proof path first); later arrivals point back to it. The
proof path, and any chain without branches, runs down one level; other branches
nest under the node they leave from. Steps that produced nothing are summarised
under the node they were tried on.
All text goes in as `rich.text.Text`, never as markup, with invisible characters
shown as escapes (`prover.visible`).
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from prover.graph.paths import Route, proof_path
from prover.graph.queries import Graph, GraphEdge, GraphNode
from prover.visible import visible_text

STYLE = {"solved": "green", "failed": "red", "open": ""}
DEAD_SHOWN = 4


def _first_line(text: str, width: int) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip() != "by"), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def _node_preview(node: GraphNode) -> str:
    if node.goals:
        main = next((ln for ln in node.goals[0].splitlines() if "⊢" in ln), node.goals[0])
        more = f"  (+{len(node.goals) - 1} goals)" if len(node.goals) > 1 else ""
        return _first_line(main, 80) + more
    text = (
        node.text.split(":=", 1)[1]
        if node.kind.value == "proof_text" and ":=" in node.text
        else node.text
    )
    return _first_line(text, 80)


def _node_label(node: GraphNode, on_path: bool) -> Text:
    label = Text()
    label.append(f"{node.kind.value} #{node.id} ", style="bold" if on_path else "")
    label.append(f"[{node.status}]", style=STYLE.get(node.status, ""))
    label.append(visible_text("  " + _node_preview(node), style="dim" if not on_path else ""))
    return label


def _edge_label(edge: GraphEdge, on_path: bool) -> Text:
    label = Text()
    label.append("★ " if on_path else "", style="bold yellow")
    label.append(f"{edge.kind.value} ", style="cyan")
    action = _first_line(edge.action, 60) or "(empty)"
    label.append(visible_text(action, style="bold yellow" if on_path else ""))
    details = []
    if edge.generator:
        details.append(edge.model or edge.generator)
    if edge.score is not None:
        details.append(f"score {edge.score:.2f}")
    if edge.lean_status:
        details.append(f"{edge.lean_status} {edge.lean_elapsed_ms or 0:.0f} ms")
    if len(edge.parents) > 1:
        details.append("joins " + ", ".join(f"#{p}" for p in edge.parents))
    if details:
        label.append("  (" + "; ".join(details) + ")", style="dim")
    return label


def graph_tree(graph: Graph, *, path_only: bool = False, max_nodes: int = 300) -> Tree:
    attempt = graph.attempt
    path: Route = proof_path(graph)
    on_path_nodes, on_path_edges = set(path.nodes), set(path.edges)
    verdict = attempt.verdict.value if attempt.verdict else attempt.status
    title = Text()
    title.append(attempt.theorem.name, style="bold")
    title.append(f"  {verdict}", style=STYLE.get("solved" if verdict == "proved" else "failed", ""))
    title.append(
        f"  · {attempt.strategy} · {attempt.spent.lean_calls} Lean calls · "
        f"{attempt.spent.wall_s:.1f} s · {len(graph.nodes)} nodes, {len(graph.edges)} steps",
        style="dim",
    )
    tree = Tree(title)
    shown: set[int] = set()
    budget = max_nodes
    stack: list[tuple[Tree, int]] = [(tree, root) for root in reversed(graph.roots)]
    while stack:
        branch, node_id = stack.pop()
        current: int | None = node_id
        # Follow the main line (the proof path, or a chain without branches) at this
        # level; other branches nest under the node they leave from.
        while current is not None:
            if current in shown:
                branch.add(Text(f"↺ #{current} (shown elsewhere)", style="dim"))
                break
            if budget <= 0:
                branch.add(
                    Text("… more (raise --max-nodes, or use `leanwb graph export`)", style="dim")
                )
                stack.clear()
                break
            budget -= 1
            shown.add(current)
            item = branch.add(_node_label(graph.nodes[current], current in on_path_nodes))
            out = [graph.edges[e] for e in graph.edges_out_of.get(current, ())]
            if path_only:
                out = [e for e in out if e.id in on_path_edges]
            live = sorted(
                (e for e in out if e.child is not None),
                key=lambda e: (e.id not in on_path_edges, e.id),
            )
            dead = [e for e in out if e.child is None]
            if dead:
                tried = ", ".join(_first_line(e.action, 30) for e in dead[:DEAD_SHOWN])
                more = f", … {len(dead) - DEAD_SHOWN} more" if len(dead) > DEAD_SHOWN else ""
                item.add(
                    Text(f"✗ {len(dead)} tried without a result: ", style="red dim")
                    + visible_text(tried + more, style="red dim")
                )
            main = live[0] if live and (live[0].id in on_path_edges or len(live) == 1) else None
            for edge in reversed(live):
                if edge is not main:
                    assert edge.child is not None
                    stack.append(
                        (item.add(_edge_label(edge, edge.id in on_path_edges)), edge.child)
                    )
            if main is None:
                break
            branch.add(_edge_label(main, main.id in on_path_edges))
            current = main.child
    return tree
