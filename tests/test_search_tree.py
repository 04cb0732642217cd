"""The search DAG, the proof script and the heuristic rules, without Lean."""

from __future__ import annotations

import math

import pytest

from prover.protocols import NodeStatus
from prover.strategies.search.critic import HeuristicCritic
from prover.strategies.search.mps import Perspective, PerspectiveFrontier, interleave
from prover.strategies.search.rules import PathFeatures, diversify, tactic_head, target_size
from prover.strategies.search.script import tactic_script
from prover.strategies.search.tree import NO_GOALS, SearchTree, normalise_goals
from prover.types import Candidate, ProofState, Provenance

_ids = iter(range(1, 1_000_000))


def state(*goals: str) -> ProofState:
    return ProofState(tuple(goals), id=next(_ids), session="s")


def cand(text: str, score: float) -> Candidate:
    return Candidate(text, score, Provenance("test"))


def grow(tree: SearchTree, parent, tactic: str, child: ProofState | None, score: float = -1.0):
    known = tree.get(child.goals) if child is not None else None
    graph_id = None if child is None or known else next(_ids)
    return tree.add_edge(parent, tactic, score, child, graph_id)


def test_normalised_goals_ignore_whitespace_but_keep_order_and_names() -> None:
    assert normalise_goals(["x : ℕ\n⊢  x = x "]) == normalise_goals(["x : ℕ ⊢ x = x"])
    assert normalise_goals(["⊢ a", "⊢ b"]) != normalise_goals(["⊢ b", "⊢ a"])
    assert normalise_goals(["h : p\n⊢ p"]) != normalise_goals(["h' : p\n⊢ p"])
    assert normalise_goals([]) == NO_GOALS


def test_equal_states_are_merged_into_one_node_with_two_in_edges() -> None:
    tree = SearchTree(state("⊢ a ∧ b"), 1)
    left, new_left = grow(tree, tree.root, "constructor", state("⊢ a", "⊢ b"))
    right, new_right = grow(tree, tree.root, "refine ⟨?_, ?_⟩", state("⊢ a", "⊢  b"))
    assert new_left and not new_right
    assert left.child is right.child
    assert len(tree) == 2
    assert [e.tactic for e in left.child.in_edges] == ["constructor", "refine ⟨?_, ?_⟩"]


def test_a_tactic_cannot_be_tried_twice_on_one_state_nor_after_closing() -> None:
    tree = SearchTree(state("⊢ a"), 1)
    grow(tree, tree.root, "simp", None)
    with pytest.raises(ValueError, match="already tried"):
        grow(tree, tree.root, "simp", None)
    tree.close(tree.root)
    with pytest.raises(ValueError, match="fixed"):
        grow(tree, tree.root, "omega", None)


def test_solved_status_and_distance_propagate_and_the_shortest_proof_is_extracted() -> None:
    tree = SearchTree(state("⊢ goal"), 1)
    long_edge, _ = grow(tree, tree.root, "step1", state("⊢ mid"))
    tree.close(tree.root)
    mid = long_edge.child
    deep_edge, _ = grow(tree, mid, "step2", state("⊢ deep"))
    tree.close(mid)
    deep = deep_edge.child
    grow(tree, deep, "finish", state())
    tree.close(deep)
    assert tree.root.status is NodeStatus.SOLVED
    assert [e.tactic for e in tree.proof_edges()] == ["step1", "step2", "finish"]
    assert tree.root.distance == 3

    # A shorter route found later through a merge is preferred by extraction.
    tree2 = SearchTree(state("⊢ goal"), 1)
    a, _ = grow(tree2, tree2.root, "a", state("⊢ x"))
    b, _ = grow(tree2, tree2.root, "b", state("⊢ y"))
    tree2.close(tree2.root)
    grow(tree2, a.child, "a2", state("⊢ y"))  # merges into y
    tree2.close(a.child)
    grow(tree2, b.child, "done", state())
    tree2.close(b.child)
    assert a.child.status is NodeStatus.SOLVED and a.child.distance == 2
    assert [e.tactic for e in tree2.proof_edges()] == ["b", "done"]


def test_failure_needs_a_complete_expansion_and_propagates_only_when_all_children_fail() -> None:
    tree = SearchTree(state("⊢ goal"), 1)
    ok, _ = grow(tree, tree.root, "intro", state("⊢ next"))
    grow(tree, tree.root, "bad", None)
    tree.close(tree.root)
    assert tree.root.status is NodeStatus.OPEN
    changed = tree.close(ok.child)  # expanded with nothing that worked
    assert ok.child.status is NodeStatus.FAILED
    assert tree.root.status is NodeStatus.FAILED
    assert set(changed) == {ok.child, tree.root}

    partial = SearchTree(state("⊢ goal"), 1)
    grow(partial, partial.root, "bad", None)
    assert partial.close(partial.root, complete=False) == []
    assert partial.root.status is NodeStatus.OPEN


def test_cycles_do_not_loop_and_do_not_prove_anything() -> None:
    tree = SearchTree(state("⊢ p"), 1)
    edge, _ = grow(tree, tree.root, "rw [h]", state("⊢ q"))
    tree.close(tree.root)
    back, created = grow(tree, edge.child, "rw [← h]", state("⊢ p"))
    tree.close(edge.child)
    assert not created and back.child is tree.root
    assert tree.root.status is NodeStatus.OPEN and math.isinf(tree.root.distance)
    assert tree.proof_edges() == []


def test_path_depth_and_logprob_come_from_the_first_route() -> None:
    tree = SearchTree(state("⊢ g"), 1)
    first, _ = grow(tree, tree.root, "t1", state("⊢ h"), score=-0.5)
    tree.close(tree.root)
    second, _ = grow(tree, first.child, "t2", state("⊢ k"), score=-0.25)
    node = second.child
    assert node.depth == 2 and node.logprob == pytest.approx(-0.75)
    assert [e.tactic for e in node.path()] == ["t1", "t2"]
    assert tree.max_depth == 2


def test_tactic_script_indents_every_step_and_keeps_multiline_structure() -> None:
    script = tactic_script(["constructor", "· exact hp\n· exact hq", "  simp"])
    assert script == "by\n  constructor\n  · exact hp\n  · exact hq\n  simp"
    with pytest.raises(ValueError):
        tactic_script([])
    with pytest.raises(ValueError):
        tactic_script(["  "])


def test_tactic_heads_and_target_size() -> None:
    assert tactic_head("simp [h] at h'") == "simp"
    assert tactic_head("nlinarith [sq_nonneg x]") == "nlinarith"
    assert tactic_head("constructor <;> simp") == "constructor"
    assert tactic_head("exact ⟨a, b⟩") == "exact"
    assert target_size(["h : a very long hypothesis\n⊢ p", "⊢ q  ∧ r"]) == len("p") + len("q ∧ r")


def test_diversify_takes_turns_across_tactic_families() -> None:
    pool = [
        cand("nlinarith [a]", -0.1),
        cand("nlinarith [b]", -0.2),
        cand("nlinarith [c]", -0.3),
        cand("simp", -0.5),
        cand("omega", -0.9),
        cand("simp [h]", -1.0),
    ]
    chosen = [c.text for c in diversify(pool, 4)]
    assert chosen == ["nlinarith [a]", "simp", "omega", "nlinarith [b]"]
    assert len(diversify(pool, 10)) == len(pool)


def test_path_features_count_splits_repeats_and_stale_steps() -> None:
    root = PathFeatures.of_root(["⊢ a ∧ b"])
    split = root.step("constructor", ["⊢ a", "⊢ b"])
    assert (split.goals, split.splits, split.stale) == (2, 1, 0)  # shorter targets: progress
    same = split.step("rw [x]", ["⊢ aa", "⊢ b"])
    again = same.step("rw [y]", ["⊢ aaa", "⊢ b"])
    third = again.step("rw [z]", ["⊢ aaaa", "⊢ b"])
    assert (third.head_run, third.stale) == (3, 3)
    assert split.demotion == 0 and same.demotion == 0
    assert again.demotion == 1  # stale twice in a row
    assert third.demotion == 1 + 2  # three `rw` in a row, stale three times


def test_interleave_follows_quotas_and_spreads_them() -> None:
    order = interleave([2, 1, 1, 1])
    assert sorted(order) == [0, 0, 1, 2, 3]
    assert order[0] == 0 and order[1] != 0  # the double quota is not taken back to back
    assert interleave([0, 3]) == [1, 1, 1]


def test_perspective_frontier_serves_each_perspective_its_turn_and_demotes() -> None:
    tree = SearchTree(state("⊢ root"), 1)
    frontier = PerspectiveFrontier(
        [
            Perspective("short", 1, lambda node, _: -len(node.key)),
            Perspective("long", 1, lambda node, _: len(node.key)),
        ]
    )
    frontier.push(tree.root)
    assert frontier.pop() == (tree.root, "short")
    short, _ = grow(tree, tree.root, "t1", state("⊢ s"))
    long, _ = grow(tree, tree.root, "t2", state("⊢ a much longer target"))
    mid, _ = grow(tree, tree.root, "t3", state("⊢ medium one"))
    tree.close(tree.root)
    for edge in (short, long, mid):
        frontier.push(edge.child)
    assert len(frontier) == 3
    assert frontier.pop() == (long.child, "long")
    long.child.expanded = True
    assert frontier.pop() == (short.child, "short")
    short.child.expanded = True
    assert frontier.pop() == (mid.child, "long")
    mid.child.expanded = True
    assert frontier.pop() is None and len(frontier) == 0


def test_demoted_nodes_come_after_all_others_whatever_their_score() -> None:
    tree = SearchTree(state("⊢ aaaaaa"), 1)
    frontier = PerspectiveFrontier([Perspective("short", 1, lambda node, _: -len(node.key))])
    frontier.push(tree.root)
    frontier.pop()
    # Two no-progress steps from the root make a stale (demoted) node.
    e1, _ = grow(tree, tree.root, "have h1 := x", state("h1 : x\n⊢ aaaaaa"))
    tree.close(tree.root)
    frontier.push(e1.child)
    frontier.pop()
    e2, _ = grow(tree, e1.child, "have h2 := y", state("h1 : x\nh2 : y\n⊢ aaaaaa"))
    long, _ = grow(
        tree, e1.child, "rw [z] at h1", state("h1 : a much longer hypothesis than before\n⊢ aaa")
    )
    tree.close(e1.child)
    frontier.push(e2.child)
    frontier.push(long.child)
    assert frontier.features(e2.child).demotion == 1
    assert len(long.child.key) > len(e2.child.key)
    assert frontier.pop() == (long.child, "short")


def test_heuristic_critic_counts_goals_and_target_size() -> None:
    critic = HeuristicCritic(chars_per_step=10)
    assert critic.estimate(state("h : something long\n⊢ p")) == pytest.approx(1.1)
    assert critic.estimate(state("⊢ p", "⊢ qqqqqqqqqq")) == pytest.approx(3.1)
    with pytest.raises(ValueError):
        HeuristicCritic(chars_per_step=0)
