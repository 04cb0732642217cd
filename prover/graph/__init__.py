"""Provenance graphs: every step of every attempt, in SQLite, browsable as offline HTML.

`store.Store` opens the database (`models`, `migrations`, `engine`); `recorder.SqlRecorder`
is the only writer of an attempt's graph; `queries.load_graph` reads one back, `paths`
finds the proof path and each node's cheapest derivation, `layout` lays it out,
`export` writes the HTML, `tree` prints it in a terminal. (The headless browser and the
synthetic graphs the tests and `bench/graph.py` use live in `tests/`.)
"""
