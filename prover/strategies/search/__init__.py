"""Step-level tactic search: the search DAG (`tree`), the shared expansion loop
(`engine`), best-first (`bfs`) and multi-perspective (`mps`) frontiers, their rules
and critics. Strategies are looked up by name in `prover.strategies.registry`."""
