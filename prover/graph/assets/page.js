// Lean Workbench: one attempt's provenance graph, drawn on a canvas.
// Every string from the data reaches the DOM through textContent (h() below), never as markup.
"use strict";
(() => {
  const DATA = JSON.parse(document.getElementById("graph-data").textContent);

  const NODE_W = 224;
  const NODE_H = 60;
  const COL = 256;
  const ROW = 124;
  const MIN_SCALE = 0.005;
  const MAX_SCALE = 3;
  const TEXT_SCALE = 0.42; // below this zoom nodes are drawn without text
  const PILL_SCALE = 0.55; // below this zoom step labels are hidden
  const OVERVIEW_NODES = 1500; // with more nodes on screen, only highlighted steps are drawn
  const STATUS = {
    solved: { line: "#1b873f", fill: "#e3f4e8", solid: "#49a864" },
    failed: { line: "#c62828", fill: "#fdeceb", solid: "#e06666" },
    open: { line: "#5f6b7a", fill: "#f1f3f6", solid: "#9aa5b4" },
  };
  const PATH = "#e8a200";
  const WHY = "#1a73e8";
  const MATCH = "#d81b60";
  const KIND = {
    statement: ["statement", "#3949ab"],
    proof_state: ["state", "#00897b"],
    proof_text: ["proof text", "#6d4c41"],
    draft: ["draft", "#8e24aa"],
    sketch: ["sketch", "#f4511e"],
    subgoal: ["subgoal", "#0288d1"],
    sample: ["sample", "#5e35b1"],
    check: ["check", "#546e7a"],
  };
  const MONO = '"DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace';
  const LABEL_H = 18; // a step label's height
  const LABEL_FONT = `11px ${MONO}`;

  // Invisible characters (bidi overrides, zero-width and other format or control
  // characters; the class comes from prover/visible.py) are shown as escapes.
  const CONTROL = new RegExp(DATA.controls, "gu");
  const escapeChar = (c) => {
    const code = c.codePointAt(0);
    return code > 0xffff ? `\\U${code.toString(16).toUpperCase().padStart(8, "0")}` : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  };
  const visibleText = (text) => String(text).replace(CONTROL, escapeChar);
  // Text as DOM nodes: plain text nodes, and each escape in a span of its own.
  function textNodes(text) {
    text = String(text);
    const out = [];
    let start = 0;
    for (const m of text.matchAll(CONTROL)) {
      if (m.index > start) out.push(document.createTextNode(text.slice(start, m.index)));
      const mark = document.createElement("span");
      mark.className = "ctl";
      mark.title = "invisible character";
      mark.textContent = escapeChar(m[0]);
      out.push(mark);
      start = m.index + m[0].length;
    }
    if (start < text.length || !out.length) out.push(document.createTextNode(text.slice(start)));
    return out;
  }
  const SANS = 'system-ui, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';

  // ---- the model --------------------------------------------------------------------
  const nodes = new Map();
  const edges = new Map();
  for (const n of DATA.nodes) {
    n.in = [];
    n.out = [];
    n.dead = [];
    n.x = 0;
    nodes.set(n.id, n);
  }
  for (const e of DATA.edges) {
    edges.set(e.id, e);
    e.parents = e.p.filter((p) => nodes.has(p)).map((p) => nodes.get(p));
    e.child = e.c === null || !nodes.has(e.c) ? null : nodes.get(e.c);
    if (e.child) e.child.in.push(e);
    for (const parent of new Set(e.parents)) (e.child ? parent.out : parent.dead).push(e);
  }
  const pathNodes = new Set(DATA.path.nodes);
  const pathEdges = new Set(DATA.path.edges);
  const pathList = DATA.path.nodes.filter((id) => nodes.has(id)).map((id) => nodes.get(id));
  const rootIds = new Set(DATA.roots);
  const forward = (parent, child) => child.L > parent.L;

  const layers = [];
  for (const n of nodes.values()) (layers[n.L] = layers[n.L] || []).push(n);
  for (let i = 0; i < layers.length; i++) layers[i] = (layers[i] || []).sort((a, b) => a.O - b.O);

  // A branch is fruitful when it holds a solved node or the proof path; the rest is
  // what "Collapse failed" folds away.
  const fruitful = new Set();
  for (let i = layers.length - 1; i >= 0; i--) {
    for (const n of layers[i]) {
      if (n.s === "solved" || pathNodes.has(n.id) || rootIds.has(n.id)) fruitful.add(n);
      else if (n.out.some((e) => e.child && forward(n, e.child) && fruitful.has(e.child))) fruitful.add(n);
    }
  }

  // ---- visibility and coordinates ----------------------------------------------------
  const collapsed = new Set();
  const visible = new Set();
  const shown = []; // per layer, the visible nodes from left to right
  const hiddenBelow = new Map();

  function computeVisibility() {
    visible.clear();
    for (const layer of layers) {
      for (const n of layer) {
        let fed = false;
        let open = false;
        for (const e of n.in) {
          for (const p of e.parents) {
            if (!forward(p, n)) continue;
            fed = true;
            if (visible.has(p) && !collapsed.has(p)) open = true;
          }
        }
        if (!fed || open) visible.add(n);
      }
    }
    hiddenBelow.clear();
    for (const c of collapsed) {
      const seen = new Set();
      const stack = [c];
      while (stack.length) {
        const n = stack.pop();
        for (const e of n.out) {
          const k = e.child;
          if (forward(n, k) && !visible.has(k) && !seen.has(k)) {
            seen.add(k);
            stack.push(k);
          }
        }
      }
      hiddenBelow.set(c, seen.size);
    }
  }

  function median(values) {
    values.sort((a, b) => a - b);
    const m = values.length >> 1;
    return values.length % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
  }

  // Columns: top-down, each node goes under the median of its parents unless its left
  // neighbour is in the way; then bottom-up, parents move right over their children.
  function place() {
    shown.length = 0;
    for (let i = 0; i < layers.length; i++) {
      const row = layers[i].filter((n) => visible.has(n));
      let next = 0;
      for (const n of row) {
        const xs = [];
        for (const e of n.in) for (const p of e.parents) if (forward(p, n) && visible.has(p)) xs.push(p.x);
        n.x = Math.max(next, xs.length ? median(xs) : next);
        next = n.x + 1;
      }
      shown.push(row);
    }
    for (let i = shown.length - 2; i >= 0; i--) {
      const row = shown[i];
      for (let j = row.length - 1; j >= 0; j--) {
        const n = row[j];
        if (pathNodes.has(n.id) || collapsed.has(n)) continue;
        const xs = [];
        for (const e of n.out) if (forward(n, e.child) && visible.has(e.child)) xs.push(e.child.x);
        if (!xs.length) continue;
        const limit = j + 1 < row.length ? row[j + 1].x - 1 : Infinity;
        n.x = Math.min(limit, Math.max(n.x, (Math.min(...xs) + Math.max(...xs)) / 2));
      }
    }
    for (const e of edges.values()) {
      if (!e.child || !e.parents.length) continue;
      const ps = e.parents;
      const px = ps.reduce((s, p) => s + wx(p), 0) / ps.length + NODE_W / 2;
      const py = Math.max(...ps.map((p) => wy(p))) + NODE_H;
      e.back = ps.some((p) => !forward(p, e.child));
      if (e.back) {
        e.jx = Math.max(wx(e.child), ...ps.map(wx)) + NODE_W + 46;
        e.jy = (wy(e.child) + Math.max(...ps.map((p) => wy(p)))) / 2 + NODE_H / 2;
      } else {
        e.jx = (px + wx(e.child) + NODE_W / 2) / 2;
        e.jy = (py + wy(e.child)) / 2;
      }
    }
    placeLabels();
  }

  // ---- step labels ------------------------------------------------------------------
  // Labels are placed once per layout, in graph coordinates, so no two overlap at any
  // zoom: each goes to the first free spot along its step (the middle, near the child,
  // near the parent), shortened if it must, or is left out (a dot marks the step; its
  // full text shows on hover and in the panel when clicked). Proof-path steps go first.
  const LABEL_CELL = 128;
  let labelGrid = new Map();
  let charWidth = 0;

  function labelText(e, max) {
    const first = visibleText(meaningfulLines(e.a)[0] || e.k);
    return first.length > max ? first.slice(0, max - 1) + "…" : first;
  }

  function cubic(a, b, c, d, t) {
    const u = 1 - t;
    return u * u * u * a + 3 * u * u * t * b + 3 * u * t * t * c + t * t * t * d;
  }

  // Candidate centres along the drawn curve of a step, best first.
  function labelSpots(e) {
    if (e.back || e.parents.length !== 1) return [[e.jx, e.jy], [e.jx, e.jy - LABEL_H - 3], [e.jx, e.jy + LABEL_H + 3]];
    const cx = wx(e.child) + NODE_W / 2;
    const cy = wy(e.child);
    const d = (cy - e.jy) / 2;
    const p = e.parents[0];
    const sx = wx(p) + NODE_W / 2;
    const sy = wy(p) + NODE_H;
    const pd = (e.jy - sy) / 2;
    const below = (t) => [cubic(e.jx, e.jx, cx, cx, t), cubic(e.jy, e.jy + d, cy - d, cy, t)];
    const above = (t) => [cubic(sx, sx, e.jx, e.jx, t), cubic(sy, sy + pd, e.jy - pd, e.jy, t)];
    const spots = [[e.jx, e.jy], below(0.72), above(0.28), below(0.45), above(0.6)];
    // Keep the label between the rows, clear of the boxes above and below.
    const top = sy + LABEL_H / 2 + 3;
    const bottom = cy - LABEL_H / 2 - 3;
    return spots.map(([x, y]) => [x, top > bottom ? y : Math.min(bottom, Math.max(top, y))]);
  }

  function labelFree(box) {
    const c0 = Math.floor(box.x / LABEL_CELL);
    const c1 = Math.floor((box.x + box.w) / LABEL_CELL);
    const r0 = Math.floor(box.y / LABEL_CELL);
    const r1 = Math.floor((box.y + box.h) / LABEL_CELL);
    for (let c = c0; c <= c1; c++) {
      for (let r = r0; r <= r1; r++) {
        for (const o of labelGrid.get(c * 65536 + r) || []) {
          if (box.x < o.x + o.w + 2 && o.x < box.x + box.w + 2 && box.y < o.y + o.h + 2 && o.y < box.y + box.h + 2) return false;
        }
      }
    }
    return true;
  }

  function labelTake(box) {
    for (let c = Math.floor(box.x / LABEL_CELL); c <= Math.floor((box.x + box.w) / LABEL_CELL); c++) {
      for (let r = Math.floor(box.y / LABEL_CELL); r <= Math.floor((box.y + box.h) / LABEL_CELL); r++) {
        const key = c * 65536 + r;
        const cell = labelGrid.get(key);
        if (cell) cell.push(box);
        else labelGrid.set(key, [box]);
      }
    }
  }

  // Monospace, but a character the font lacks may be wider: measure, once per text.
  const labelWidths = new Map();
  function labelWidth(text) {
    let w = labelWidths.get(text);
    if (w === undefined) {
      w = /^[\x20-\x7e]*$/.test(text) ? text.length * charWidth : ctx.measureText(text).width;
      labelWidths.set(text, w);
    }
    return w;
  }

  function placeLabels() {
    labelGrid = new Map();
    if (!charWidth) {
      ctx.font = LABEL_FONT;
      charWidth = ctx.measureText("M").width;
    }
    const list = [];
    for (const e of edges.values()) {
      e.pill = null;
      if (e.child && visible.has(e.child) && e.parents.some((p) => visible.has(p) && !collapsed.has(p))) list.push(e);
    }
    list.sort((a, b) => pathEdges.has(b.id) - pathEdges.has(a.id) || a.id - b.id);
    ctx.font = LABEL_FONT;
    for (const e of list) {
      const spots = labelSpots(e);
      placing: for (const max of [24, 12]) {
        const text = labelText(e, max);
        const w = Math.min(COL - 24, labelWidth(text) + 12);
        for (const [x, y] of spots) {
          const box = { x: x - w / 2, y: y - LABEL_H / 2, w, h: LABEL_H, text };
          if (labelFree(box)) {
            labelTake(box);
            e.pill = box;
            break placing;
          }
        }
      }
    }
  }
  const wx = (n) => n.x * COL;
  const wy = (n) => n.L * ROW;

  function relayout() {
    computeVisibility();
    place();
    requestDraw();
  }

  // ---- view -------------------------------------------------------------------------
  const graphEl = document.getElementById("graph");
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const view = { s: 1, tx: 40, ty: 30 };
  let W = 0;
  let H = 0;
  let dpr = 1;

  function resize() {
    dpr = window.devicePixelRatio || 1;
    W = graphEl.clientWidth;
    H = graphEl.clientHeight;
    canvas.width = Math.max(1, Math.round(W * dpr));
    canvas.height = Math.max(1, Math.round(H * dpr));
    requestDraw();
  }

  function bounds(list) {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const n of list) {
      if (!visible.has(n)) continue;
      x0 = Math.min(x0, wx(n));
      y0 = Math.min(y0, wy(n));
      x1 = Math.max(x1, wx(n) + NODE_W);
      y1 = Math.max(y1, wy(n) + NODE_H);
    }
    return x0 === Infinity ? null : { x0, y0, x1, y1 };
  }

  function fitTo(list, maxScale = 1.1) {
    const b = bounds(list);
    if (!b) return;
    const pad = 40;
    const s = Math.min((W - 2 * pad) / (b.x1 - b.x0), (H - 2 * pad) / (b.y1 - b.y0), maxScale);
    view.s = Math.max(MIN_SCALE, s);
    view.tx = (W - (b.x1 - b.x0) * view.s) / 2 - b.x0 * view.s;
    view.ty = Math.max(pad, (H - (b.y1 - b.y0) * view.s) / 2) - b.y0 * view.s;
    requestDraw();
  }

  function centerOn(n, minScale = 0.8) {
    if (view.s < minScale) view.s = minScale;
    view.tx = W / 2 - (wx(n) + NODE_W / 2) * view.s;
    view.ty = H / 2 - (wy(n) + NODE_H / 2) * view.s;
    requestDraw();
  }

  function onScreen(n) {
    const x = wx(n) * view.s + view.tx;
    const y = wy(n) * view.s + view.ty;
    return x > 0 && y > 0 && x + NODE_W * view.s < W && y + NODE_H * view.s < H;
  }

  function initialView() {
    fitTo([...nodes.values()]);
    if (view.s >= TEXT_SCALE) return;
    const start = pathList.length ? pathList[0] : nodes.get([...rootIds][0]) || layers[0][0];
    view.s = 0.8;
    view.tx = 40 - wx(start) * view.s;
    view.ty = 30 - wy(start) * view.s;
  }

  // ---- drawing ----------------------------------------------------------------------
  let drawPending = false;
  let drawnNodes = [];
  let drawnEdges = [];
  let drawnLabels = [];
  let frame = 0;

  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  const selection = { kind: null, id: null };
  let why = { nodes: new Set(), edges: new Set() };
  let matches = [];
  let matchIndex = -1;
  const matchedNodes = new Set();
  const matchedEdges = new Set();

  const previewCache = new Map();
  const WHOLE_PROOFS = new Set(["proof_text", "sample", "check"]); // texts that start with the statement
  let previewChars = 0; // how many monospace characters fit in a node
  const meaningfulLines = (text) => text.split("\n").map((l) => l.trim()).filter((l) => l && l !== "by");
  const stateGoals = (n) => n.g || (n.t && n.t !== "no goals" ? n.t.split("\n\n") : []);
  const hasGoals = (n) => n.k === "proof_state" || n.k === "subgoal" || (n.g && n.g.length);
  // A goal as Lean prints it: `case name`, hypotheses, then `⊢ target` (maybe several lines).
  function goalParts(goal) {
    const lines = goal.split("\n");
    let name = null;
    if (lines.length && lines[0].startsWith("case ")) name = lines.shift().slice(5).trim();
    const at = lines.findIndex((l) => l.startsWith("⊢"));
    if (at < 0) return { name, hyps: [], target: lines.join("\n") };
    return { name, hyps: lines.slice(0, at), target: lines.slice(at).join("\n") };
  }
  function preview(n) {
    let lines = previewCache.get(n.id);
    if (lines) return lines;
    if (!previewChars) {
      ctx.font = `11.5px ${MONO}`;
      previewChars = Math.floor((NODE_W - 20) / ctx.measureText("M").width);
    }
    const max = previewChars;
    const cut = (s) => {
      s = visibleText(s);
      return s.length > max ? s.slice(0, max - 1) + "…" : s;
    };
    if (hasGoals(n)) {
      // The target first; with several goals, the case name says which one it is.
      const goals = stateGoals(n);
      if (!goals.length) lines = ["no goals"];
      else {
        const first = goalParts(goals[0]);
        const target = first.target.split("\n")[0].trim();
        lines = [cut(goals.length > 1 && first.name ? `${first.name}: ${target}` : target)];
        if (goals.length > 1) lines.push(`+ ${goals.length - 1} more goal${goals.length > 2 ? "s" : ""}`);
        else if (first.hyps.length) lines.push(`${first.hyps.length} hypothes${first.hyps.length === 1 ? "is" : "es"}`);
      }
    } else {
      // A proof text starts with the statement; its body says more.
      const body = WHOLE_PROOFS.has(n.k) && n.t.includes(":=") ? n.t.slice(n.t.indexOf(":=") + 2) : n.t;
      lines = meaningfulLines(body).slice(0, 2).map(cut);
    }
    previewCache.set(n.id, lines);
    return lines;
  }

  function draw() {
    frame++;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * view.s, 0, 0, dpr * view.s, dpr * view.tx, dpr * view.ty);
    const x0 = -view.tx / view.s;
    const y0 = -view.ty / view.s;
    const x1 = (W - view.tx) / view.s;
    const y1 = (H - view.ty) / view.s;
    const first = Math.max(0, Math.floor((y0 - NODE_H) / ROW));
    const last = Math.min(shown.length - 1, Math.ceil(y1 / ROW));
    drawnNodes = [];
    for (let i = first; i <= last; i++) {
      const row = shown[i];
      let lo = 0;
      let hi = row.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (wx(row[mid]) + NODE_W < x0) lo = mid + 1;
        else hi = mid;
      }
      for (let j = lo; j < row.length && wx(row[j]) <= x1; j++) drawnNodes.push(row[j]);
    }
    drawnEdges = [];
    // Zoomed far out over a big graph, plain steps are a grey blur that costs most of the frame.
    const onlyHighlighted = drawnNodes.length > OVERVIEW_NODES;
    for (const n of drawnNodes) {
      for (const list of [n.in, n.out]) {
        for (const e of list) {
          if (e.frame === frame || !visible.has(e.child)) continue;
          if (onlyHighlighted && !highlighted(e)) continue;
          if (!e.parents.some((p) => visible.has(p) && !collapsed.has(p))) continue;
          e.frame = frame;
          drawnEdges.push(e);
        }
      }
    }
    drawEdges();
    for (const n of drawnNodes) drawNode(n);
    drawnLabels = [];
    if (view.s >= PILL_SCALE) for (const e of drawnEdges) drawPill(e);
    markReady();
  }

  function markReady() {
    if (window.leanwbGraph.readyMs === null) window.leanwbGraph.readyMs = performance.now();
    document.documentElement.dataset.ready = "1";
  }

  function highlighted(e) {
    return (
      pathEdges.has(e.id) ||
      why.edges.has(e.id) ||
      matchedEdges.has(e.id) ||
      (selection.kind === "edge" && selection.id === e.id)
    );
  }

  function edgeStyle(e) {
    if (selection.kind === "edge" && selection.id === e.id) return [WHY, 3.5, 1];
    if (pathEdges.has(e.id)) return [PATH, 4, 1];
    if (why.edges.has(e.id)) return [WHY, 2.5, 1];
    if (matchedEdges.has(e.id)) return [MATCH, 2.5, 1];
    if (e.child.s === "failed") return [STATUS.failed.solid, 1.3, 0.8];
    return ["#9aa5b4", 1.3, 0.9];
  }

  // Edges are stroked in batches of one style, thin ones first, so highlights sit on top.
  function drawEdges() {
    const groups = new Map();
    for (const e of drawnEdges) {
      const style = edgeStyle(e);
      const key = `${style.join("|")}|${e.back}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { style, back: e.back, list: [] }));
      group.list.push(e);
    }
    const zoom = Math.min(1, Math.max(0.35, view.s));
    for (const { style, back, list } of [...groups.values()].sort((a, b) => a.style[1] - b.style[1])) {
      const [color, width, alpha] = style;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.globalAlpha = alpha;
      ctx.lineWidth = (width * zoom) / view.s;
      ctx.setLineDash(back ? [6 / zoom, 5 / zoom] : []);
      ctx.beginPath();
      for (const e of list) traceEdge(e);
      ctx.stroke();
      for (const e of list) {
        if (e.parents.length < 2) continue;
        ctx.beginPath();
        ctx.arc(e.jx, e.jy, 5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
  }

  function traceEdge(e) {
    const c = e.child;
    if (view.s < TEXT_SCALE) {
      // Zoomed out, straight lines read as well as curves and rasterise much faster.
      const cx = wx(c) + NODE_W / 2;
      for (const p of e.parents) {
        ctx.moveTo(wx(p) + NODE_W / 2, wy(p) + NODE_H);
        ctx.lineTo(cx, wy(c));
      }
      return;
    }
    if (e.back) {
      for (const p of e.parents) {
        ctx.moveTo(wx(p) + NODE_W, wy(p) + NODE_H / 2);
        ctx.quadraticCurveTo(e.jx, e.jy, wx(c) + NODE_W, wy(c) + NODE_H / 2);
      }
      return;
    }
    for (const p of e.parents) {
      const sx = wx(p) + NODE_W / 2;
      const sy = wy(p) + NODE_H;
      const d = (e.jy - sy) / 2;
      ctx.moveTo(sx, sy);
      ctx.bezierCurveTo(sx, sy + d, e.jx, e.jy - d, e.jx, e.jy);
    }
    const cx = wx(c) + NODE_W / 2;
    const d = (wy(c) - e.jy) / 2;
    ctx.moveTo(e.jx, e.jy);
    ctx.bezierCurveTo(e.jx, e.jy + d, cx, wy(c) - d, cx, wy(c));
  }

  function roundRect(x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r);
    ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r);
    ctx.arcTo(x, y, x + w, y, r);
    ctx.closePath();
  }

  function drawNode(n) {
    const x = wx(n);
    const y = wy(n);
    const st = STATUS[n.s] || STATUS.open;
    const onPath = pathNodes.has(n.id);
    const selected = selection.kind === "node" && selection.id === n.id;
    if (view.s < TEXT_SCALE) {
      ctx.fillStyle = onPath ? PATH : why.nodes.has(n.id) ? WHY : matchedNodes.has(n.id) ? MATCH : st.solid;
      ctx.fillRect(x, y, NODE_W, NODE_H);
      if (selected) {
        ctx.strokeStyle = "#111";
        ctx.lineWidth = 3 / view.s;
        ctx.strokeRect(x, y, NODE_W, NODE_H);
      }
      return;
    }
    if (onPath || selected || why.nodes.has(n.id)) {
      ctx.save();
      ctx.shadowColor = selected ? WHY : onPath ? PATH : WHY;
      ctx.shadowBlur = 14 * view.s * dpr;
      roundRect(x, y, NODE_W, NODE_H, 8);
      ctx.fillStyle = st.fill;
      ctx.fill();
      ctx.restore();
    }
    roundRect(x, y, NODE_W, NODE_H, 8);
    ctx.fillStyle = why.nodes.has(n.id) && !onPath ? "#e8f0fe" : st.fill;
    ctx.fill();
    ctx.lineWidth = onPath ? 3.5 : 1.5;
    ctx.strokeStyle = onPath ? PATH : st.line;
    ctx.stroke();
    if (matchedNodes.has(n.id)) {
      roundRect(x - 4, y - 4, NODE_W + 8, NODE_H + 8, 10);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = MATCH;
      ctx.stroke();
    }
    if (selected) {
      roundRect(x - 3, y - 3, NODE_W + 6, NODE_H + 6, 10);
      ctx.lineWidth = 3;
      ctx.strokeStyle = WHY;
      ctx.stroke();
    }
    const [label, color] = KIND[n.k] || [n.k, "#555"];
    ctx.fillStyle = color;
    ctx.fillRect(x + 1, y + 8, 4, NODE_H - 16);
    ctx.font = `600 11px ${SANS}`;
    ctx.textBaseline = "alphabetic";
    ctx.fillText(label, x + 11, y + 16);
    ctx.fillStyle = "#8a93a0";
    ctx.font = `10px ${SANS}`;
    const tag = `#${n.id}`;
    ctx.fillText(tag, x + NODE_W - 10 - ctx.measureText(tag).width, y + 16);
    ctx.fillStyle = "#1d2330";
    ctx.font = `11.5px ${MONO}`;
    const lines = preview(n);
    for (let i = 0; i < lines.length; i++) ctx.fillText(lines[i], x + 11, y + 33 + i * 15);
    const badges = [];
    if (n.dead.length) badges.push([`✗ ${n.dead.length}`, STATUS.failed.line]);
    if (collapsed.has(n)) badges.push([`+${hiddenBelow.get(n) || 0} hidden`, "#5f6b7a"]);
    let bx = x + NODE_W - 6;
    ctx.font = `600 10px ${SANS}`;
    for (const [text, c] of badges) {
      const w = ctx.measureText(text).width + 10;
      bx -= w;
      roundRect(bx, y + NODE_H - 9, w, 16, 8);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = c;
      ctx.stroke();
      ctx.fillStyle = c;
      ctx.fillText(text, bx + 5, y + NODE_H + 3);
      bx -= 4;
    }
  }

  function drawPill(e) {
    const [color] = edgeStyle(e);
    const box = e.pill;
    if (!box) {
      // Left out for want of room: a dot says there is a step to click.
      ctx.beginPath();
      ctx.arc(e.jx, e.jy, 4, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = color;
      ctx.stroke();
      return;
    }
    drawnLabels.push(e);
    ctx.font = LABEL_FONT;
    roundRect(box.x, box.y, box.w, box.h, 9);
    ctx.fillStyle = "#fff";
    ctx.fill();
    ctx.lineWidth = pathEdges.has(e.id) || selection.id === e.id ? 2 : 1;
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.fillStyle = "#2a3140";
    ctx.textBaseline = "middle";
    ctx.fillText(box.text, box.x + 6, box.y + box.h / 2 + 0.5, box.w - 12);
    ctx.textBaseline = "alphabetic";
  }

  // ---- hit testing and pointer ----------------------------------------------------------
  function toWorld(clientX, clientY) {
    const r = canvas.getBoundingClientRect();
    return [(clientX - r.left - view.tx) / view.s, (clientY - r.top - view.ty) / view.s];
  }

  function hit(clientX, clientY) {
    const [x, y] = toWorld(clientX, clientY);
    if (view.s >= PILL_SCALE) {
      for (const e of drawnEdges) {
        const p = e.pill;
        if (p && x >= p.x - 2 && x <= p.x + p.w + 2 && y >= p.y - 2 && y <= p.y + p.h + 2) return ["edge", e];
      }
    }
    for (const n of drawnNodes) {
      if (x >= wx(n) && x <= wx(n) + NODE_W && y >= wy(n) && y <= wy(n) + NODE_H) return ["node", n];
    }
    const r = 9 / view.s;
    for (const e of drawnEdges) if (Math.abs(x - e.jx) < r && Math.abs(y - e.jy) < r) return ["edge", e];
    return null;
  }

  let drag = null;
  graphEl.addEventListener("mousedown", (ev) => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty, moved: false };
    graphEl.focus({ preventScroll: true });
  });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    graphEl.classList.add("dragging");
    view.tx = drag.tx + dx;
    view.ty = drag.ty + dy;
    requestDraw();
  });
  window.addEventListener("mouseup", (ev) => {
    if (!drag) return;
    const wasClick = !drag.moved;
    drag = null;
    graphEl.classList.remove("dragging");
    if (!wasClick) return;
    const found = hit(ev.clientX, ev.clientY);
    if (found) select(found[0], found[1].id);
  });
  graphEl.addEventListener("mousemove", (ev) => {
    if (drag) return;
    const found = hit(ev.clientX, ev.clientY);
    const full = !found ? "" : found[0] === "edge" ? found[1].a || found[1].k : found[1].t;
    graphEl.title = visibleText(full.length > 800 ? full.slice(0, 799) + "…" : full);
  });
  graphEl.addEventListener("dblclick", (ev) => {
    const found = hit(ev.clientX, ev.clientY);
    if (found && found[0] === "node") toggleCollapse(found[1]);
  });
  graphEl.addEventListener(
    "wheel",
    (ev) => {
      ev.preventDefault();
      const r = canvas.getBoundingClientRect();
      const mx = ev.clientX - r.left;
      const my = ev.clientY - r.top;
      const unit = ev.deltaMode === 1 ? 16 : 1;
      const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.s * Math.exp(-ev.deltaY * unit * 0.0015)));
      view.tx = mx - ((mx - view.tx) * s) / view.s;
      view.ty = my - ((my - view.ty) * s) / view.s;
      view.s = s;
      requestDraw();
    },
    { passive: false },
  );

  // ---- selection, why, collapse -------------------------------------------------------
  function routeTo(n) {
    // Walk back along each node's cheapest derivation (computed at export) to the statement.
    const result = { nodes: new Set(), edges: new Set() };
    const stack = [n];
    while (stack.length) {
      const m = stack.pop();
      if (result.nodes.has(m.id)) continue;
      result.nodes.add(m.id);
      const e = m.b === undefined ? null : edges.get(m.b);
      if (!e) continue;
      result.edges.add(e.id);
      for (const p of e.parents) stack.push(p);
    }
    return result;
  }

  function orderedSteps(route) {
    // The route's edges, parents before children (the derivation cost grows along a route).
    return [...route.edges].map((id) => edges.get(id)).sort((a, b) => a.child.d - b.child.d || a.id - b.id);
  }

  // Expand what hides `n`: the collapsed nodes on its route, or everything if that is not enough.
  function reveal(n) {
    let changed = false;
    for (const id of routeTo(n).nodes) {
      const m = nodes.get(id);
      if (m !== n && collapsed.delete(m)) changed = true;
    }
    if (changed) computeVisibility();
    if (!visible.has(n) && collapsed.size) {
      collapsed.clear();
      changed = true;
      computeVisibility();
    }
    if (changed) {
      place();
      requestDraw();
    }
  }

  function select(kind, id, opts = {}) {
    selection.kind = kind;
    selection.id = id;
    if (kind === "node") {
      const n = nodes.get(id);
      reveal(n);
      if (opts.center || !onScreen(n)) centerOn(n, view.s);
    } else if (kind === "edge") {
      const e = edges.get(id);
      const anchor = e.child || e.parents[0];
      if (anchor) {
        reveal(anchor);
        if (opts.center) centerOn(anchor, view.s);
      }
    }
    renderPanel();
    requestDraw();
    setAnchor(kind === "node" ? `node-${id}` : `step-${id}`);
  }

  // ---- anchors: page.html#node-12 and page.html#step-7 open with that selected -------
  function setAnchor(name) {
    const target = name ? `#${name}` : location.pathname + location.search;
    if ((name ? `#${name}` : "") === location.hash) return;
    try {
      history.replaceState(null, "", target);
    } catch {
      // Some browsers refuse history on file:// pages; the anchor is a convenience.
    }
  }

  // `#samples` opens the samples' grid; a sample's node opens there too.
  function followAnchor() {
    if (location.hash === "#samples" && sampleNodes.length) {
      showView("samples");
      return true;
    }
    const m = /^#(node|step)-(\d+)$/.exec(location.hash);
    if (!m) return false;
    const id = Number(m[2]);
    const kind = m[1] === "node" ? "node" : "edge";
    if (!(kind === "node" ? nodes : edges).has(id)) return false;
    select(kind, id, { center: true });
    showView(kind === "node" && nodes.get(id).k === "sample" ? "samples" : "graph");
    if (currentView === "samples") focusSelectedCard();
    return true;
  }
  window.addEventListener("hashchange", followAnchor);

  function explain(n) {
    why = routeTo(n);
    select("node", n.id);
    renderPanel({ why: true });
  }

  function toggleCollapse(n) {
    if (collapsed.has(n)) collapsed.delete(n);
    else if (n.out.length) collapsed.add(n);
    relayout();
    if (selection.kind === "node") renderPanel();
  }

  function collapseFailed() {
    collapsed.clear();
    for (const n of nodes.values()) {
      if (!fruitful.has(n)) continue;
      for (const e of n.out) if (forward(n, e.child) && !fruitful.has(e.child)) collapsed.add(e.child);
    }
    relayout();
  }

  function fitAll() {
    showView("graph");
    fitTo([...nodes.values()]);
  }

  function showPath() {
    showView("graph");
    if (!pathList.length) {
      renderPanel();
      return;
    }
    why = { nodes: new Set(), edges: new Set() };
    for (const n of pathList) reveal(n);
    fitTo(pathList, 1);
    select("node", pathList[pathList.length - 1].id);
  }

  // ---- search -------------------------------------------------------------------------
  const searchEl = document.getElementById("search");
  const countEl = document.getElementById("search-count");
  let searchTimer = 0;

  function runSearch() {
    const q = searchEl.value.trim().toLowerCase();
    matches = [];
    matchIndex = -1;
    matchedNodes.clear();
    matchedEdges.clear();
    if (q) {
      for (const n of nodes.values()) {
        if (n.t.toLowerCase().includes(q) || (n.g && n.g.some((g) => g.toLowerCase().includes(q)))) {
          matches.push(["node", n.id]);
          matchedNodes.add(n.id);
        }
      }
      for (const e of edges.values()) {
        if (e.a.toLowerCase().includes(q)) {
          matches.push(["edge", e.id]);
          matchedEdges.add(e.id);
        }
      }
    }
    countEl.textContent = q ? `${matches.length} match${matches.length === 1 ? "" : "es"}` : "";
    requestDraw();
  }

  function nextMatch(step) {
    if (!matches.length) return;
    matchIndex = (matchIndex + step + matches.length) % matches.length;
    countEl.textContent = `${matchIndex + 1} / ${matches.length}`;
    const [kind, id] = matches[matchIndex];
    select(kind, id, { center: true });
    // A match among the samples stays in their grid; any other is shown in the graph.
    if (!(currentView === "samples" && kind === "node" && nodes.get(id).k === "sample")) showView("graph");
    else focusSelectedCard();
  }

  searchEl.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 140);
  });
  searchEl.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      clearTimeout(searchTimer);
      runSearch();
      nextMatch(ev.shiftKey ? -1 : 1);
      ev.preventDefault();
    } else if (ev.key === "Escape") {
      searchEl.blur();
      graphEl.focus({ preventScroll: true });
    }
  });

  // ---- keyboard -------------------------------------------------------------------------
  function neighbour(n, direction) {
    if (direction === "up") {
      const e = n.b !== undefined ? edges.get(n.b) : n.in[0];
      return e && e.parents[0];
    }
    if (direction === "down") {
      const next = n.out.filter((e) => visible.has(e.child) && forward(n, e.child) && !collapsed.has(n));
      const onPath = next.find((e) => pathEdges.has(e.id));
      return (onPath || next[0] || {}).child;
    }
    const row = shown[n.L];
    const i = row.indexOf(n);
    return row[i + (direction === "left" ? -1 : 1)];
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.target === searchEl || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const onControl = ev.target !== document.body && ev.target !== graphEl;
    if (onControl && (ev.key === "Enter" || ev.key === " ")) return; // let buttons work
    const current = selection.kind === "node" ? nodes.get(selection.id) : null;
    const edge = selection.kind === "edge" ? edges.get(selection.id) : null;
    const arrows = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
    let handled = true;
    if (arrows[ev.key] && currentView === "samples") {
      moveInGrid(arrows[ev.key]);
    } else if (arrows[ev.key]) {
      let target = null;
      if (current) target = neighbour(current, arrows[ev.key]);
      else if (edge) target = arrows[ev.key] === "up" ? edge.parents[0] : edge.child || edge.parents[0];
      else target = pathList[0] || layers[0][0];
      if (target) select("node", target.id);
    } else if (ev.key === "/") {
      searchEl.focus();
      searchEl.select();
    } else if (ev.key === "n" || ev.key === "N") {
      nextMatch(ev.shiftKey ? -1 : 1);
    } else if ((ev.key === "w" || ev.key === "W") && current) {
      explain(current);
    } else if ((ev.key === "c" || ev.key === "C") && current) {
      toggleCollapse(current);
    } else if (ev.key === "f" || ev.key === "F") {
      fitAll();
    } else if (ev.key === "p" || ev.key === "P") {
      showPath();
    } else if (ev.key === "o" || ev.key === "O" || ev.key === "Escape") {
      clearSelection();
    } else if ((ev.key === "]" || ev.key === "[") && pathList.length) {
      const i = current ? pathList.indexOf(current) : -1;
      const j = ev.key === "]" ? Math.min(pathList.length - 1, i + 1) : Math.max(0, i - 1);
      select("node", pathList[j].id, { center: true });
    } else if ((ev.key === "e" || ev.key === "E") && (current || edge)) {
      // Steps by keyboard: a node's producing step, then the other steps from its parent.
      if (current) {
        const made = current.b !== undefined ? edges.get(current.b) : current.in[0];
        if (made) select("edge", made.id, { center: true });
      } else {
        const from = edge.parents[0];
        const siblings = [...from.out, ...from.dead];
        const next = siblings[(siblings.indexOf(edge) + (ev.shiftKey ? siblings.length - 1 : 1)) % siblings.length];
        select("edge", next.id, { center: true });
      }
    } else if (ev.key === "h" || ev.key === "H") {
      const boxes = [...panel.querySelectorAll("details.hyps")];
      const open = !boxes.every((d) => d.open);
      for (const d of boxes) d.open = open;
    } else if ((ev.key === "s" || ev.key === "S") && sampleNodes.length) {
      showView(currentView === "samples" ? "graph" : "samples");
    } else if (ev.key === "?") {
      renderPanel({ help: true });
    } else if ((ev.key === "Enter" || ev.key === " ") && current) {
      centerOn(current, view.s);
    } else {
      handled = false;
    }
    if (handled) ev.preventDefault();
  });

  function clearSelection() {
    selection.kind = null;
    selection.id = null;
    why = { nodes: new Set(), edges: new Set() };
    renderPanel();
    requestDraw();
    setAnchor("");
  }

  // ---- the panel ----------------------------------------------------------------------
  const panel = document.getElementById("panel");

  // Elements from plain data: strings become text nodes, functions become listeners.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "onclick") el.addEventListener("click", value);
      else el.setAttribute(key, visibleText(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      if (child instanceof Node) el.append(child);
      else el.append(...textNodes(child));
    }
    return el;
  }

  const fmtMs = (ms) => (ms === null || ms === undefined ? "–" : ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`);
  const fmtS = (s) => (s < 60 ? `${s.toFixed(s < 10 ? 2 : 1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
  const fmtTime = (t) => (t ? new Date(t * 1000).toLocaleString() : "–");
  const code = (text, cls = "") => h("pre", { class: `code ${cls}` }, text);
  const kindChip = (k) => {
    const [label, color] = KIND[k] || [k, "#555"];
    const el = h("span", { class: "chip kind" }, label);
    el.style.borderLeftColor = color;
    return el;
  };
  const badge = (text) => h("span", { class: `badge ${text}` }, text);
  // Lean's outcome of a step, coloured like the node states it leads to.
  const leanBadge = (status) => {
    const tone = /error|fail|reject|timeout|crash|stale|unknown/.test(status)
      ? "failed"
      : /completed|proved|ok|open_goals/.test(status)
        ? "solved"
        : "open";
    return h("span", { class: `badge ${tone}` }, status);
  };
  const kv = (rows) =>
    h(
      "table",
      { class: "kv" },
      rows.filter((r) => r[1] !== null && r[1] !== undefined && r[1] !== "").map(([k, v, mono]) => h("tr", {}, h("td", {}, k), h("td", { class: mono ? "mono" : "" }, v))),
    );
  const nodeName = (n) => `${(KIND[n.k] || [n.k])[0]} #${n.id}`;
  const firstLine = (text, max = 90) => {
    const line = meaningfulLines(text)[0] || "";
    return line.length > max ? line.slice(0, max - 1) + "…" : line;
  };

  function nodeLink(n) {
    return h(
      "button",
      { class: "card" + (pathNodes.has(n.id) ? " on-path" : ""), type: "button", onclick: () => select("node", n.id, { center: true }) },
      h("b", {}, nodeName(n)),
      " ",
      badge(n.s),
      h("span", { class: "sub" }, preview(n).join("  ")),
    );
  }

  function edgeCard(e, target) {
    const who = e.pr !== undefined ? DATA.proposers[e.pr] : null;
    const cls = "card" + (pathEdges.has(e.id) ? " on-path" : "") + (e.child ? "" : " dead");
    const sub = [e.k, who ? `${who.generator}${who.model ? " · " + who.model : ""}` : e.st];
    if (e.ls) sub.push(`${e.ls} · ${fmtMs(e.ms)}`);
    if (target) sub.push(`→ ${target}`);
    return h(
      "button",
      { class: cls, type: "button", onclick: () => select("edge", e.id, { center: true }) },
      h("code", {}, firstLine(e.a, 200) || e.k),
      h("span", { class: "sub" }, sub.join(" · ")),
    );
  }

  // Lean's messages; with `source` (a sourceView), each line:column is a button that
  // marks the text it points at.
  function messages(list, source) {
    return list.map((m) => {
      const where = `${m.line}:${m.column}`;
      const pos = source
        ? h("button", { class: "pos", type: "button", title: "show this position in the text", onclick: () => source.mark(m) }, where)
        : h("span", { class: "where" }, where);
      return h("div", { class: `msg ${m.severity}` }, h("span", { class: "where" }, `${m.severity} at `), pos, "  ", m.text);
    });
  }

  // Lean's lines are 1-based and its columns count code points from 0.
  const chars = (line) => Array.from(line);

  // A text with numbered lines; `mark(message)` highlights the span a message covers.
  // The messages in `inline` are placed under the lines they refer to (those on no
  // line of the text at the end), each with its position as a button.
  function sourceView(text, inline = []) {
    const lines = text.split("\n");
    const rows = lines.map((line, i) => h("span", { class: "line", "data-line": String(i + 1) }, h("span", { class: "ln" }, String(i + 1)), h("span", { class: "src" }, line)));
    const el = h("pre", { class: "code source" });
    const note = (m) =>
      h(
        "span",
        { class: `inline-msg ${m.severity}`, role: "note", "data-line": String(m.line) },
        h("span", { class: "where" }, `${m.severity} at `),
        h("button", { class: "pos", type: "button", title: "show this position in the text", onclick: () => mark(m) }, `${m.line}:${m.column}`),
        "  ",
        m.text,
      );
    rows.forEach((row, i) => {
      el.append(row, "\n");
      for (const m of inline) if (m.line === i + 1) el.append(note(m));
    });
    for (const m of inline) if (!(m.line >= 1 && m.line <= rows.length)) el.append(note(m));
    function mark(m) {
      for (const old of el.querySelectorAll(".hit")) old.classList.remove("hit");
      for (const old of el.querySelectorAll("mark")) old.replaceWith(...old.childNodes);
      const last = m.end_line && m.end_line >= m.line ? m.end_line : m.line;
      for (let n = m.line; n <= last && n <= rows.length; n++) {
        const row = rows[n - 1];
        row.classList.add("hit");
        const cell = row.querySelector(".src");
        const cs = chars(lines[n - 1]); // the text itself, not its escapes
        const from = n === m.line ? Math.min(m.column, cs.length) : 0;
        const to = n === last && m.end_column !== null && m.end_column !== undefined && (last > m.line || m.end_column > m.column) ? Math.min(m.end_column, cs.length) : n === last && last === m.line ? Math.min(cs.length, from + Math.max(1, (cs.slice(from).join("").match(/^\S+/) || [""])[0].length)) : cs.length;
        cell.replaceChildren(...textNodes(cs.slice(0, from).join("")), h("mark", {}, cs.slice(from, to).join("")), ...textNodes(cs.slice(to).join("")));
      }
      const first = rows[Math.min(m.line, rows.length) - 1];
      if (first) first.scrollIntoView({ block: "nearest" });
    }
    return { el, mark };
  }

  // Line diff of two texts (longest common subsequence; proofs are short).
  function lineDiff(before, after) {
    const a = before.split("\n");
    const b = after.split("\n");
    let lo = 0;
    while (lo < a.length && lo < b.length && a[lo] === b[lo]) lo++;
    let ea = a.length;
    let eb = b.length;
    while (ea > lo && eb > lo && a[ea - 1] === b[eb - 1]) {
      ea--;
      eb--;
    }
    const n = ea - lo;
    const m = eb - lo;
    const rows = [];
    for (let i = 0; i < lo; i++) rows.push([" ", i + 1, i + 1, a[i]]);
    if (n * m > 4e6) {
      for (let i = lo; i < ea; i++) rows.push(["-", i + 1, null, a[i]]);
      for (let j = lo; j < eb; j++) rows.push(["+", null, j + 1, b[j]]);
    } else {
      const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
      for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = a[lo + i] === b[lo + j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      let i = 0;
      let j = 0;
      while (i < n || j < m) {
        if (i < n && j < m && a[lo + i] === b[lo + j]) {
          rows.push([" ", lo + i + 1, lo + j + 1, a[lo + i]]);
          i++;
          j++;
        } else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) {
          rows.push(["-", lo + i + 1, null, a[lo + i]]);
          i++;
        } else {
          rows.push(["+", null, lo + j + 1, b[lo + j]]);
          j++;
        }
      }
    }
    for (let k = 0; ea + k < a.length; k++) rows.push([" ", ea + k + 1, eb + k + 1, a[ea + k]]);
    return rows;
  }

  // The errors Lean reported on a text: those on the steps that produced its node.
  function errorsOn(n) {
    const out = [];
    for (const e of n.in) for (const m of e.msg || []) if (m.severity === "error") out.push(m);
    return out;
  }

  const REVISIONS = new Set(["repair_fix", "sorrify"]);

  // A revision of a proof text, as a diff against the one before, with the error that
  // triggered it marked at its line and column.
  function diffView(e) {
    const before = e.parents[0];
    const after = e.child;
    const errors = errorsOn(before);
    if (!errors.length && e.m && e.m.message) errors.push({ severity: "error", line: null, column: null, text: e.m.message });
    const rows = lineDiff(before.t, after.t);
    const table = h("div", { class: "diff", role: "table", "aria-label": `changes from #${before.id} to #${after.id}` });
    let added = 0;
    let removed = 0;
    for (const [sign, old, now, text] of rows) {
      if (sign === "+") added++;
      if (sign === "-") removed++;
      const here = old === null ? [] : errors.filter((m) => m.line === old);
      const cls = (sign === "+" ? "add" : sign === "-" ? "del" : "same") + (here.length ? " err" : "");
      let body = [text];
      if (here.length && here[0].column !== null) {
        const cs = chars(text);
        const from = Math.min(here[0].column, cs.length);
        const word = (cs.slice(from).join("").match(/^\S+/) || [""])[0];
        const to = here[0].end_line === here[0].line && here[0].end_column > from ? Math.min(here[0].end_column, cs.length) : from + Math.max(1, chars(word).length);
        body = [cs.slice(0, from).join(""), h("mark", { title: here[0].text }, cs.slice(from, to).join("")), cs.slice(to).join("")];
      }
      table.append(h("div", { class: `row ${cls}`, role: "row" }, h("span", { class: "ln" }, old === null ? "" : String(old)), h("span", { class: "ln" }, now === null ? "" : String(now)), h("span", { class: "sign" }, sign), h("code", {}, body)));
      for (const m of here) table.append(h("div", { class: "row note", role: "row" }, h("span", { class: "ln" }, ""), h("span", { class: "ln" }, ""), h("span", { class: "sign" }, "!"), h("span", {}, `${m.severity} at ${m.line}:${m.column}: ${m.text}`)));
    }
    const unplaced = errors.filter((m) => m.line === null || !rows.some((r) => r[1] === m.line));
    return [
      h("h3", {}, `Changes from #${before.id} · +${added} −${removed} line${added + removed === 1 ? "" : "s"}`),
      table,
      unplaced.length ? h("div", { class: "muted" }, "triggered by: ", unplaced.map((m) => m.text).join("; ")) : null,
    ];
  }

  const isRevision = (e) => e && e.child && e.parents.length === 1 && REVISIONS.has(e.k);

  // A goal: its case name, the target first, the hypotheses on click.
  function goalView(goal, cls) {
    const { name, hyps, target } = goalParts(goal);
    return h(
      "div",
      { class: "goalbox" },
      name ? h("span", { class: "chip case" }, `case ${name}`) : null,
      code(target, `goal ${cls}`),
      hyps.length ? h("details", { class: "hyps" }, h("summary", {}, `${hyps.length} hypothes${hyps.length === 1 ? "is" : "es"}`), code(hyps.join("\n"), "hyp")) : null,
    );
  }

  function anchorLink(name) {
    return h("a", { class: "anchor", href: `#${name}`, title: "a link to this, to share" }, "link");
  }

  function json(value) {
    return code(JSON.stringify(value, null, 2));
  }

  function stepsList(steps) {
    return h(
      "ol",
      { class: "steps" },
      steps.map((e) =>
        h(
          "li",
          {},
          h(
            "button",
            { class: "step", type: "button", onclick: () => select("edge", e.id, { center: true }) },
            h("span", { class: "k" }, `${e.k} `),
            h("code", {}, firstLine(e.a, 70) || e.k),
            h("span", { class: "k" }, ` → ${nodeName(e.child)}`),
          ),
        ),
      ),
    );
  }

  function whySection(n) {
    const route = routeTo(n);
    const steps = orderedSteps(route);
    if (!steps.length) {
      return [h("h3", {}, "Why is this here"), h("p", { class: "empty" }, rootIds.has(n.id) ? "This is the statement: every route starts here." : "No recorded step leads here from the statement.")];
    }
    return [
      h("h3", {}, `Why is this here · ${steps.length} step${steps.length === 1 ? "" : "s"} from the statement`),
      stepsList(steps),
    ];
  }

  function renderNode(n, opts) {
    const out = [];
    out.push(h("h2", {}, kindChip(n.k), badge(n.s), `#${n.id}`, pathNodes.has(n.id) ? h("span", { class: "chip path" }, "on the proof path") : null, anchorLink(`node-${n.id}`)));
    out.push(
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: () => explain(n) }, "Why is this here? (W)"),
        n.out.length ? h("button", { type: "button", onclick: () => toggleCollapse(n) }, collapsed.has(n) ? "Expand branch (C)" : "Collapse branch (C)") : null,
        h("button", { type: "button", onclick: () => centerOn(n, view.s) }, "Center"),
      ),
    );
    if (opts.why) out.push(...whySection(n));
    if (hasGoals(n)) {
      const goals = stateGoals(n);
      out.push(h("h3", {}, goals.length ? `Goals (${goals.length})` : "Goals"));
      if (goals.length) for (const g of goals) out.push(goalView(g, n.s));
      else out.push(h("p", { class: "empty" }, "no goals: this state is solved"));
      if (n.k !== "proof_state" && n.g) out.push(h("details", {}, h("summary", {}, "text"), code(n.t)));
    } else if (n.k === "sample") {
      out.push(...sampleSection(n));
    } else {
      const errors = errorsOn(n);
      const source = sourceView(n.t);
      source.el.classList.add("goal", n.s);
      out.push(h("h3", {}, "Text"), source.el);
      if (errors.length) out.push(h("h3", {}, `Lean's errors on this text (${errors.length})`), messages(errors, source));
      const revision = n.in.find(isRevision);
      if (revision) out.push(...diffView(revision));
    }
    if (n.in.length) out.push(h("h3", {}, `Produced by (${n.in.length})`), n.in.map((e) => edgeCard(e, null)));
    if (n.out.length) out.push(h("h3", {}, `Leads to (${n.out.length})`), n.out.map((e) => edgeCard(e, `${nodeName(e.child)} ${e.child.s}`)));
    if (n.dead.length) out.push(h("h3", {}, `Tried here without a result (${n.dead.length})`), n.dead.map((e) => edgeCard(e, null)));
    if (n.m) out.push(h("h3", {}, "Metadata"), json(n.k === "sample" ? { ...n.m, reply: undefined } : n.m));
    if (!opts.why) out.push(...whySection(n));
    return out;
  }

  function renderEdge(e) {
    const out = [];
    const who = e.pr !== undefined ? DATA.proposers[e.pr] : null;
    out.push(h("h2", {}, h("span", { class: "chip" }, e.k), `step #${e.id}`, e.ls ? leanBadge(e.ls) : null, pathEdges.has(e.id) ? h("span", { class: "chip path" }, "on the proof path") : null, anchorLink(`step-${e.id}`)));
    out.push(h("h3", {}, "Action"), code(e.a || "(empty)"));
    if (isRevision(e)) out.push(...diffView(e));
    out.push(h("h3", {}, e.parents.length > 1 ? `Inputs (${e.parents.length})` : "From"), e.parents.map(nodeLink));
    out.push(h("h3", {}, "Result"), e.child ? nodeLink(e.child) : h("p", { class: "empty" }, "nothing: this step produced no new state"));
    out.push(h("h3", {}, "Proposed by"));
    out.push(
      kv([
        ["strategy", e.st],
        ["generator", who && who.generator],
        ["model", who && who.model, true],
        ["prompt hash", who && who.prompt_hash, true],
        ["score", e.sc === undefined ? null : e.sc.toFixed(4), true],
        ...(who ? Object.entries(who.settings).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v), true]) : []),
      ]),
    );
    if (e.pm && e.pm.length) {
      out.push(h("h3", {}, `Premises shown (${e.pm.length})`));
      out.push(
        h(
          "table",
          { class: "premises" },
          h("tr", {}, h("th", {}, "#"), h("th", {}, "name"), h("th", {}, "score")),
          e.pm.map(([index, rank, score]) => {
            const [name, module, statement] = DATA.premises[index];
            return h(
              "tr",
              {},
              h("td", {}, String(rank + 1)),
              h("td", { class: "mono", title: [module, statement].filter(Boolean).join("\n") }, name),
              h("td", { class: "mono" }, Number(score).toFixed(3)),
            );
          }),
        ),
      );
    }
    out.push(h("h3", {}, "Lean"));
    out.push(kv([["outcome", e.ls || "not checked"], ["elapsed", e.ls ? fmtMs(e.ms) : null]]));
    if (e.msg && e.msg.length) {
      // Positions refer to the text Lean checked: the proof text made, else the action.
      const checked = e.child && !hasGoals(e.child) && e.child.k !== "statement" ? e.child.t : e.a;
      const source = sourceView(checked || "");
      out.push(messages(e.msg, source), h("details", { class: "checked", open: true }, h("summary", {}, "the text Lean checked"), source.el));
    }
    if (e.m) out.push(h("h3", {}, "Metadata"), json(e.m));
    if (e.child) out.push(...whySection(e.child));
    return out;
  }

  function renderSummary() {
    const { theorem, attempt, run } = DATA.summary;
    const out = [];
    out.push(h("h2", {}, "Attempt summary"));
    out.push(h("h3", {}, "Statement"), code(theorem.statement));
    if (theorem.header) out.push(h("details", {}, h("summary", {}, "header"), code(theorem.header)));
    if (theorem.informal) out.push(h("details", {}, h("summary", {}, "informal statement"), code(theorem.informal)));
    out.push(h("h3", {}, "Verdict"));
    out.push(
      kv([
        ["verdict", attempt.verdict || attempt.status],
        ["reason", attempt.reason],
        ["detail", attempt.detail],
        ["axioms", attempt.axioms.length ? attempt.axioms.join(", ") : null, true],
        ["strategy", attempt.strategy],
        ["source", theorem.source],
      ]),
    );
    if (attempt.proof) out.push(h("h3", {}, "Checked proof"), code(attempt.proof, "goal solved"));
    if (sampleNodes.length) {
      out.push(
        h("h3", {}, `Whole-proof samples (${sampleNodes.length})`),
        h("button", { type: "button", onclick: () => showView(currentView === "samples" ? "graph" : "samples") }, currentView === "samples" ? "Show the graph (S)" : "Show the samples (S)"),
      );
    }
    out.push(h("h3", {}, `Proof path${pathList.length ? ` · ${DATA.path.edges.length} steps` : ""}`));
    if (pathList.length) out.push(stepsList(DATA.path.edges.map((id) => edges.get(id)).filter((e) => e && e.child)));
    else out.push(h("p", { class: "empty" }, "No verified proof was recorded in this attempt."));
    const sp = attempt.spent;
    out.push(h("h3", {}, "Cost"));
    out.push(
      kv([
        ["Lean calls", String(sp.lean_calls)],
        ["Lean time", fmtS(sp.lean_s)],
        ["generator calls", String(sp.generator_calls)],
        ["tokens in / out", `${sp.tokens_in} / ${sp.tokens_out}`],
        ["expansions", String(sp.expansions)],
        ["wall time", fmtS(sp.wall_s)],
      ]),
    );
    const counts = { solved: 0, failed: 0, open: 0 };
    for (const n of nodes.values()) counts[n.s] = (counts[n.s] || 0) + 1;
    const dead = DATA.edges.filter((e) => e.c === null).length;
    out.push(h("h3", {}, "Graph"));
    out.push(kv([["nodes", `${nodes.size} (${counts.solved} solved, ${counts.failed} failed, ${counts.open} open)`], ["steps", `${edges.size} (${dead} without a result)`]]));
    out.push(h("h3", {}, "Run"));
    out.push(
      kv([
        ["run", `#${run.id} (${run.kind})`],
        ["command", run.command, true],
        ["leanwb", run.version],
        ["git", run.git, true],
        ["host", run.host],
        ["started", fmtTime(attempt.started)],
        ["ended", fmtTime(attempt.ended)],
      ]),
    );
    if (DATA.events.length) {
      out.push(
        h(
          "details",
          {},
          h("summary", {}, `Events (${DATA.events.length})`),
          DATA.events.map((ev) => h("div", { class: "msg" }, h("span", { class: "where" }, `${new Date(ev.t * 1000).toLocaleTimeString()} ${ev.k}  `), ev.msg)),
        ),
      );
    }
    out.push(h("details", {}, h("summary", {}, "Keys"), helpTable()));
    return out;
  }

  function helpTable() {
    const rows = [
      ["↑ ↓", "parent (along the cheapest route) / child (the proof path first)"],
      ["← →", "previous / next node in the same row"],
      ["W", "why is this here: the route from the statement"],
      ["C or double-click", "collapse or expand the selected node's branch"],
      ["[ ]", "previous / next node on the proof path"],
      ["P", "show the proof path"],
      ["F", "fit the whole graph"],
      ["/", "search goals and tactics; Enter and N / Shift+N step through matches"],
      ["O or Esc", "the attempt summary"],
      ["E / Shift+E", "the step that made the selected node; on a step, the next / previous step from its node"],
      ["H", "show or hide the hypotheses of the goals in the panel"],
      ["S", "whole-proof samples as a grid, or the graph again; arrows and Enter move between samples"],
      ["Tab, Enter", "the panel's steps, positions (line:column marks the text), hypotheses and links"],
      ["#node-12, #step-7", "a page address with one of these opens with that node or step selected"],
    ];
    return h("table", { class: "help-keys" }, rows.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", {}, k)), h("td", {}, v))));
  }

  function renderPanel(opts = {}) {
    let content;
    if (opts.help) content = [h("h2", {}, "Keys"), helpTable()];
    else if (selection.kind === "node") content = renderNode(nodes.get(selection.id), opts);
    else if (selection.kind === "edge") content = renderEdge(edges.get(selection.id));
    else content = renderSummary();
    panel.replaceChildren(...content.flat(Infinity).filter(Boolean));
    panel.scrollTop = 0;
    markSelectedCard();
  }

  // ---- whole-proof samples: the `sample` strategy's samples as a grid of cards ----------
  // Identical samples (one check node, or the same refused reply) fold into one card with
  // a count; the sample on the proof path is the accepted one.
  const samplesEl = document.getElementById("samples");
  const samplesBtn = document.getElementById("btn-samples");
  const sampleMeta = (n) => n.m || {};
  const sampleIndex = (n) => (Number.isInteger(sampleMeta(n).index) ? sampleMeta(n).index : n.id);
  const sampleNodes = [...nodes.values()].filter((n) => n.k === "sample").sort((a, b) => sampleIndex(a) - sampleIndex(b) || a.id - b.id);
  const sampleGroups = [];
  const groupOf = new Map();
  {
    const byKey = new Map();
    for (const n of sampleNodes) {
      const m = sampleMeta(n);
      const key = m.check_key ? `check ${m.check_key}` : `reply ${m.reason} ${n.t}`;
      let group = byKey.get(key);
      if (!group) {
        group = { members: [] };
        byKey.set(key, group);
        sampleGroups.push(group);
      }
      group.members.push(n);
      groupOf.set(n, group);
    }
    for (const group of sampleGroups) group.accepted = group.members.find((n) => pathNodes.has(n.id)) || null;
  }
  let currentView = "graph";

  // The step on which Lean checked a sample's text (identical samples share its check node).
  function leanCheck(n) {
    const made = n.out.find((e) => e.k === "check" && e.child);
    return made ? made.child.in.find((e) => e.ls !== undefined) || null : null;
  }

  // The proof after the statement (a refused reply: its own text).
  function sampleBody(n) {
    const statement = DATA.summary.theorem.statement;
    if (sampleMeta(n).check_key && n.t.startsWith(statement)) return n.t.slice(statement.length).replace(/^\s*:=\s*/, "");
    return n.t;
  }

  const metaTotal = (list, key) => list.reduce((total, n) => total + (Number(sampleMeta(n)[key]) || 0), 0);

  function sampleCard(group) {
    const first = group.members[0];
    const m = sampleMeta(first);
    const verdict = m.verdict || first.s;
    const count = group.members.length;
    const indices = group.members.map((n) => `#${sampleIndex(n)}`);
    const named = count > 4 ? `${indices.slice(0, 3).join(" ")} +${count - 3}` : indices.join(" ");
    const modes = [...new Set(group.members.map((n) => sampleMeta(n).mode).filter(Boolean))];
    const lines = meaningfulLines(sampleBody(first));
    const card = h(
      "button",
      {
        class: `sample-card ${verdict}${group.accepted ? " accepted" : ""}`,
        type: "button",
        role: "listitem",
        "data-node": String((group.accepted || first).id),
        "data-count": String(count),
        title: count > 1 ? `${count} identical samples: ${indices.join(" ")}` : `sample ${indices[0]}`,
      },
      h(
        "span",
        { class: "sc-head" },
        h("b", {}, named),
        count > 1 ? h("span", { class: "fold", title: `${count} identical samples, folded` }, `×${count}`) : null,
        badge(verdict),
        group.accepted ? h("span", { class: "chip accepted" }, verdict === "proved" ? "accepted" : "accepted once repaired") : null,
      ),
      h("span", { class: "sc-reason" }, m.reason || (verdict === "proved" ? "verified" : "–"), m.detail ? ` · ${firstLine(m.detail, 90)}` : ""),
      h(
        "span",
        { class: "sc-meta" },
        modes.map((mode) => h("span", { class: "chip mode" }, mode)),
        h("span", {}, `tokens ${metaTotal(group.members, "tokens_in")} in / ${metaTotal(group.members, "tokens_out")} out${count > 1 ? ` (all ${count})` : ""}`),
        m.cached ? h("span", { class: "chip" }, "check cache") : null,
      ),
      h("span", { class: "sc-text" }, lines.slice(0, 4).join("\n") + (lines.length > 4 ? "\n…" : "") || "(empty)"),
    );
    card.addEventListener("click", () => select("node", (group.accepted || first).id));
    return card;
  }

  function renderSamples() {
    const count = (verdict) => sampleNodes.filter((n) => sampleMeta(n).verdict === verdict).length;
    const accepted = sampleGroups.find((g) => g.accepted);
    const modes = new Map();
    for (const n of sampleNodes) modes.set(sampleMeta(n).mode, (modes.get(sampleMeta(n).mode) || 0) + 1);
    samplesEl.replaceChildren(
      h(
        "div",
        { class: "samples-head" },
        h("h2", {}, `Samples · ${sampleNodes.length}`),
        h(
          "span",
          { class: "muted" },
          [
            `${sampleGroups.length} distinct`,
            ...[["proved", "verified"], ["failed", "failed"], ["rejected", "rejected"], ["refused", "refused"]].filter(([v]) => count(v)).map(([v, word]) => `${count(v)} ${word}`),
            ...[...modes].filter(([mode]) => mode).map(([mode, k]) => `${k} ${mode}`),
          ].join(" · "),
        ),
        h("span", { class: accepted ? "chip accepted" : "chip" }, accepted ? `accepted: sample #${sampleIndex(accepted.accepted)}` : "no sample accepted"),
      ),
      h("div", { class: "sample-grid", role: "list" }, sampleGroups.map(sampleCard)),
    );
  }

  function markSelectedCard() {
    if (!sampleNodes.length) return;
    const n = selection.kind === "node" ? nodes.get(selection.id) : null;
    const group = n ? groupOf.get(n) : null;
    for (const card of samplesEl.querySelectorAll(".sample-card")) {
      const on = group ? group.members.some((m) => String(m.id) === card.dataset.node) : false;
      card.classList.toggle("selected", on);
      card.setAttribute("aria-current", on ? "true" : "false");
    }
  }

  function showView(name) {
    if (name === currentView || (name === "samples" && !sampleNodes.length)) return;
    currentView = name;
    samplesEl.hidden = name !== "samples";
    graphEl.hidden = name === "samples";
    samplesBtn.textContent = name === "samples" ? "Graph" : "Samples";
    samplesBtn.setAttribute("aria-pressed", String(name === "samples"));
    if (name === "graph") {
      resize();
      const n = selection.kind === "node" ? nodes.get(selection.id) : null;
      if (n) centerOn(n, view.s); // centred while hidden, it was centred on nothing
      graphEl.focus({ preventScroll: true });
    } else {
      focusSelectedCard();
    }
  }

  function focusSelectedCard() {
    (samplesEl.querySelector(".sample-card.selected") || samplesEl).focus();
  }

  // Arrow keys in the grid: left and right along the cards, up and down by a row.
  function moveInGrid(direction) {
    const cards = [...samplesEl.querySelectorAll(".sample-card")];
    if (!cards.length) return;
    let i = cards.findIndex((c) => c.classList.contains("selected"));
    if (i < 0) i = cards.indexOf(document.activeElement);
    const columns = cards.filter((c) => c.offsetTop === cards[0].offsetTop).length || 1;
    const step = { left: -1, right: 1, up: -columns, down: columns }[direction];
    const j = i < 0 ? 0 : Math.min(cards.length - 1, Math.max(0, i + step));
    cards[j].click();
    cards[j].focus();
  }

  function sampleSection(n) {
    const m = sampleMeta(n);
    const group = groupOf.get(n);
    const check = leanCheck(n);
    const found = check && check.msg ? check.msg : [];
    const how = !m.check_key
      ? "none: the reply offered no proof to check"
      : m.cached
        ? "answered from the check cache (no Lean call)"
        : m.duplicate
          ? `identical to sample #${sampleIndex(group.members[0])}, checked once`
          : check
            ? `by Lean in ${fmtMs(check.ms)}`
            : "–";
    const out = [];
    if (pathNodes.has(n.id)) {
      const note = m.verdict === "proved" ? "The accepted sample: the proof the soundness gate verified." : "The accepted proof was repaired from this sample: the repair is under Leads to.";
      out.push(h("p", { class: "accepted-note" }, note));
    }
    out.push(
      kv([
        ["sample", `#${sampleIndex(n)} of ${sampleNodes.length}`],
        ["verdict", m.verdict],
        ["reason", m.reason, true],
        ["detail", m.detail],
        ["mode", m.mode],
        ["prompt format", m.format, true],
        ["tokens in / out", `${m.tokens_in ?? "?"} / ${m.tokens_out ?? "?"}`],
        ["finish reason", m.finish_reason],
        ["check", how],
      ]),
    );
    if (group.members.length > 1) {
      out.push(
        h(
          "div",
          { class: "twins" },
          `${group.members.length} identical samples: `,
          group.members.map((x) => (x === n ? h("b", {}, `#${sampleIndex(x)} `) : [h("button", { class: "pos", type: "button", onclick: () => select("node", x.id) }, `#${sampleIndex(x)}`), " "])),
        ),
      );
    }
    const source = sourceView(n.t, found);
    source.el.classList.add("goal", n.s);
    out.push(h("h3", {}, m.check_key ? `Proof text${found.length ? ` · Lean's messages (${found.length}) on their lines` : ""}` : "Reply"), source.el);
    if (m.check_key && !check && m.cached) out.push(h("p", { class: "empty" }, "A cached answer first given for a text that differs in comments or blank lines: its messages' positions would not fit this text, so they are not shown."));
    if (m.check_key && m.reply) out.push(h("details", {}, h("summary", {}, "the model's whole reply"), code(m.reply)));
    return out;
  }

  // ---- header, legend, toolbar ----------------------------------------------------------
  function renderHeader() {
    const { theorem, attempt } = DATA.summary;
    document.title = visibleText(`${theorem.name} · ${attempt.verdict || attempt.status} · leanwb`);
    const verdict = document.getElementById("verdict");
    verdict.textContent = attempt.verdict || attempt.status;
    verdict.classList.add(attempt.verdict || attempt.status);
    document.getElementById("theorem-name").replaceChildren(...textNodes(theorem.name));
    document.getElementById("theorem-name").title = visibleText(theorem.statement);
    document.getElementById("strategy").textContent = attempt.strategy;
    document.getElementById("attempt-id").textContent = `attempt #${attempt.id} · run #${DATA.summary.run.id}`;
    const sp = attempt.spent;
    const costs = [
      ["Lean calls", sp.lean_calls],
      ["Lean time", fmtS(sp.lean_s)],
      ["generator calls", sp.generator_calls],
      ["tokens", `${sp.tokens_in} in / ${sp.tokens_out} out`],
      ["wall", fmtS(sp.wall_s)],
      ["nodes", nodes.size],
      ["steps", edges.size],
    ];
    document.getElementById("costs").replaceChildren(...costs.map(([k, v]) => h("span", {}, `${k} `, h("b", {}, String(v)))));
    const legend = [
      ["solved", "solved"],
      ["failed", "failed"],
      ["open", "open"],
      ["path", "proof path"],
      ["why", "why / selected"],
      ["match", "search match"],
      ["loop", "step back to an earlier state"],
    ];
    document.getElementById("legend").replaceChildren(...legend.map(([cls, text]) => h("span", {}, h("i", { class: cls }), text)));
  }

  document.getElementById("search-next").addEventListener("click", () => nextMatch(1));
  document.getElementById("search-prev").addEventListener("click", () => nextMatch(-1));
  document.getElementById("btn-fit").addEventListener("click", fitAll);
  samplesBtn.addEventListener("click", () => showView(currentView === "samples" ? "graph" : "samples"));
  document.getElementById("btn-path").addEventListener("click", showPath);
  document.getElementById("btn-collapse").addEventListener("click", collapseFailed);
  document.getElementById("btn-expand").addEventListener("click", () => {
    collapsed.clear();
    relayout();
  });
  document.getElementById("btn-summary").addEventListener("click", clearSelection);

  // A small scripting interface (used by the tests and the benchmark); client coordinates.
  window.leanwbGraph = {
    select: (kind, id) => select(kind, id, { center: true }),
    nodeRect(id) {
      const n = nodes.get(id);
      const r = canvas.getBoundingClientRect();
      return [r.left + view.tx + wx(n) * view.s, r.top + view.ty + wy(n) * view.s, NODE_W * view.s, NODE_H * view.s];
    },
    stepPoint(id) {
      const e = edges.get(id);
      const r = canvas.getBoundingClientRect();
      return [r.left + view.tx + e.jx * view.s, r.top + view.ty + e.jy * view.s];
    },
    centerOn: (id) => centerOn(nodes.get(id)),
    view: () => currentView,
    fit: () => fitTo([...nodes.values()]),
    visibleCount: () => visible.size,
    // The step labels drawn in the last frame: [text, x, y, w, h] in client coordinates.
    labelBoxes() {
      const r = canvas.getBoundingClientRect();
      return drawnLabels.map((e) => [e.pill.text, r.left + view.tx + e.pill.x * view.s, r.top + view.ty + e.pill.y * view.s, e.pill.w * view.s, e.pill.h * view.s]);
    },
    previewLines: (id) => preview(nodes.get(id)),
    zoom(s) {
      view.s = s;
      requestDraw();
    },
    drawnCount: () => drawnNodes.length,
    readyMs: null,
  };

  renderHeader();
  if (!nodes.size) {
    panel.replaceChildren(...renderSummary().flat(Infinity));
    markReady();
    return;
  }
  computeVisibility();
  place();
  W = graphEl.clientWidth;
  H = graphEl.clientHeight;
  initialView();
  resize();
  new ResizeObserver(resize).observe(graphEl);
  if (sampleNodes.length) {
    samplesBtn.hidden = false;
    renderSamples();
  }
  if (!followAnchor()) {
    renderPanel();
    if (sampleNodes.length) showView("samples"); // an attempt of whole proofs opens on them
  }
})();
