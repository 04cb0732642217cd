"""Provenance graph figures: recording, export and the page in Chromium. Prints figures only.

    python bench/graph.py [--sizes 1000 10000] [--no-browser]

For each size, a synthetic best-first search of that many proof states (with failed
tactics, states reached twice and premises on every generated step) is recorded
through `SqlRecorder`, one committed step per edge as a strategy records it, then
exported with `export_attempt_html`. Printed per size: nodes + edges written per
second, export time (load, layout and page), and page size. Then, for the largest
page, headless Chromium's load time (navigation until the first frame is drawn) and
the time of a redraw while zoomed in and with the whole graph on screen.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The headless browser driver and the synthetic graphs are test support, kept in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from headless_chromium import HeadlessChromium, find_chromium
from synthetic_graphs import record_search_tree

from prover.budget import Spent
from prover.graph.export import export_attempt_html, render_attempt_html
from prover.graph.queries import load_graph
from prover.graph.store import Store
from prover.types import Theorem, Verdict, VerdictKind

THEOREM = Theorem("bench", "import Mathlib", "theorem bench (x : ℕ) : x + 0 = x")

# Two animation frames after a wheel event: the redraw and its presentation.
REDRAW = """(async () => {
  const graph = document.getElementById('graph');
  const times = [];
  for (let i = 0; i < 6; i++) {
    graph.dispatchEvent(new WheelEvent('wheel',
      {deltaY: i % 2 ? 40 : -40, clientX: 300, clientY: 300, bubbles: true, cancelable: true}));
    const start = performance.now();
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    times.push(performance.now() - start);
  }
  return [times, leanwbGraph.drawnCount()];
})()"""


def record(store: Store, run_id: int, size: int) -> tuple[int, int, float]:
    """Record a search of `size` states; returns (attempt id, rows written, seconds)."""
    recorder = store.begin_attempt(run_id, THEOREM, "search")
    started = time.perf_counter()
    record_search_tree(recorder, THEOREM, size, seed=size)
    elapsed = time.perf_counter() - started
    store.finish_attempt(recorder.attempt_id, Verdict(VerdictKind.PROVED, proof="by simp"), Spent())
    graph = load_graph(store, recorder.attempt_id)
    return recorder.attempt_id, len(graph.nodes) + len(graph.edges), elapsed


def redraw_ms(browser: HeadlessChromium) -> tuple[float, int]:
    reply = browser.send(
        "Runtime.evaluate", expression=REDRAW, awaitPromise=True, returnByValue=True
    )
    times, drawn = reply["result"]["value"]
    return statistics.median(times), drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="leanwb-bench-") as tmp:
        folder = Path(tmp)
        pages: dict[int, Path] = {}
        with Store(folder / "bench.sqlite") as store:
            run_id = store.begin_run("bench/graph.py", {"sizes": args.sizes}, kind="bench")
            print(f"{'states':>7} {'nodes+edges':>12} {'writes/s':>9} {'load s':>7} "
                  f"{'export s':>9} {'page MiB':>9}")  # fmt: skip
            for size in args.sizes:
                attempt_id, rows, elapsed = record(store, run_id, size)
                started = time.perf_counter()
                graph = load_graph(store, attempt_id)
                loaded = time.perf_counter() - started
                render_attempt_html(graph)  # warm the asset cache, as a second export would be
                page = folder / f"graph-{size}.html"
                started = time.perf_counter()
                export_attempt_html(store, attempt_id, page)
                exported = time.perf_counter() - started
                pages[size] = page
                print(f"{size:>7} {rows:>12} {rows / elapsed:>9.0f} {loaded:>7.2f} "
                      f"{exported:>9.2f} {page.stat().st_size / 2**20:>9.2f}")  # fmt: skip

        if args.no_browser:
            return
        if find_chromium() is None:
            print("Chromium figures skipped: no Chromium (apt-get install chromium)")
            return
        try:
            import websocket  # noqa: F401  (the test extra)
        except ImportError:
            print("Chromium figures skipped: needs websocket-client (the test extra)")
            return
        largest = max(pages)
        with HeadlessChromium(width=1400, height=900) as browser:
            loads, in_page = [], []
            for _ in range(3):
                loads.append(browser.open(pages[largest].as_uri()))
                in_page.append(browser.evaluate("leanwbGraph.readyMs"))
            browser.settle()
            zoomed, zoomed_drawn = redraw_ms(browser)
            browser.evaluate("leanwbGraph.fit()")
            browser.settle()
            whole, whole_drawn = redraw_ms(browser)
            errors = browser.console_errors()
        size_mib = pages[largest].stat().st_size / 2**20
        load_s, clock_s = statistics.median(loads), statistics.median(in_page) / 1000
        print(f"\nChromium, {largest}-state page ({size_mib:.1f} MiB):")
        print(f"  load until first frame: {load_s:.2f} s (page's own clock {clock_s:.2f} s)")
        print(f"  redraw, zoomed in ({zoomed_drawn} nodes drawn): {zoomed:.0f} ms")
        print(f"  redraw, whole graph ({whole_drawn} nodes drawn): {whole:.0f} ms")
        if errors:
            print(f"  console errors: {errors}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
