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
  };
  const MONO = '"DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace';
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
  let previewChars = 0; // how many monospace characters fit in a node
  const meaningfulLines = (text) => text.split("\n").map((l) => l.trim()).filter((l) => l && l !== "by");
  const stateGoals = (n) => n.g || (n.t && n.t !== "no goals" ? n.t.split("\n\n") : []);
  function preview(n) {
    let lines = previewCache.get(n.id);
    if (lines) return lines;
    if (!previewChars) {
      ctx.font = `11.5px ${MONO}`;
      previewChars = Math.floor((NODE_W - 20) / ctx.measureText("M").width);
    }
    const max = previewChars;
    const cut = (s) => (s.length > max ? s.slice(0, max - 1) + "…" : s);
    if (n.k === "proof_state") {
      const goals = stateGoals(n);
      const main = goals.length ? goals[0].split("\n").find((l) => l.includes("⊢")) || goals[0] : "no goals";
      lines = [cut(main.trim())];
      if (goals.length > 1) lines.push(`+ ${goals.length - 1} more goal${goals.length > 2 ? "s" : ""}`);
    } else {
      // A proof text starts with the statement; its body says more.
      const body = n.k === "proof_text" && n.t.includes(":=") ? n.t.slice(n.t.indexOf(":=") + 2) : n.t;
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

  function pillText(e) {
    const first = meaningfulLines(e.a)[0] || e.k;
    return first.length > 24 ? first.slice(0, 23) + "…" : first;
  }

  function drawPill(e) {
    const text = pillText(e);
    ctx.font = `11px ${MONO}`;
    const w = Math.min(ctx.measureText(text).width + 12, COL - 24);
    const h = 18;
    e.pill = { x: e.jx - w / 2, y: e.jy - h / 2, w, h };
    const [color] = edgeStyle(e);
    roundRect(e.pill.x, e.pill.y, w, h, 9);
    ctx.fillStyle = "#fff";
    ctx.fill();
    ctx.lineWidth = pathEdges.has(e.id) || selection.id === e.id ? 2 : 1;
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.fillStyle = "#2a3140";
    ctx.textBaseline = "middle";
    ctx.fillText(text, e.pill.x + 6, e.jy + 0.5, w - 12);
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
  }

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

  function showPath() {
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
    if (arrows[ev.key]) {
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
      fitTo([...nodes.values()]);
    } else if (ev.key === "p" || ev.key === "P") {
      showPath();
    } else if (ev.key === "o" || ev.key === "O" || ev.key === "Escape") {
      clearSelection();
    } else if ((ev.key === "]" || ev.key === "[") && pathList.length) {
      const i = current ? pathList.indexOf(current) : -1;
      const j = ev.key === "]" ? Math.min(pathList.length - 1, i + 1) : Math.max(0, i - 1);
      select("node", pathList[j].id, { center: true });
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
      else el.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
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

  function messages(list) {
    return list.map((m) =>
      h("div", { class: `msg ${m.severity}` }, h("span", { class: "where" }, `${m.severity} at ${m.line}:${m.column}  `), m.text),
    );
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
    out.push(h("h2", {}, kindChip(n.k), badge(n.s), `#${n.id}`, pathNodes.has(n.id) ? h("span", { class: "chip path" }, "on the proof path") : null));
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
    if (n.k === "proof_state") {
      const goals = stateGoals(n);
      out.push(h("h3", {}, goals.length ? `Goals (${goals.length})` : "Goals"));
      if (goals.length) for (const g of goals) out.push(code(g, `goal ${n.s}`));
      else out.push(h("p", { class: "empty" }, "no goals: this state is solved"));
    } else {
      out.push(h("h3", {}, "Text"), code(n.t, `goal ${n.s}`));
      if (n.g && n.g.length) {
        out.push(h("h3", {}, `Goals (${n.g.length})`));
        for (const g of n.g) out.push(code(g, "goal"));
      }
    }
    if (n.in.length) out.push(h("h3", {}, `Produced by (${n.in.length})`), n.in.map((e) => edgeCard(e, null)));
    if (n.out.length) out.push(h("h3", {}, `Leads to (${n.out.length})`), n.out.map((e) => edgeCard(e, `${nodeName(e.child)} ${e.child.s}`)));
    if (n.dead.length) out.push(h("h3", {}, `Tried here without a result (${n.dead.length})`), n.dead.map((e) => edgeCard(e, null)));
    if (n.m) out.push(h("h3", {}, "Metadata"), json(n.m));
    if (!opts.why) out.push(...whySection(n));
    return out;
  }

  function renderEdge(e) {
    const out = [];
    const who = e.pr !== undefined ? DATA.proposers[e.pr] : null;
    out.push(h("h2", {}, h("span", { class: "chip" }, e.k), `step #${e.id}`, e.ls ? leanBadge(e.ls) : null, pathEdges.has(e.id) ? h("span", { class: "chip path" }, "on the proof path") : null));
    out.push(h("h3", {}, "Action"), code(e.a || "(empty)"));
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
    if (e.msg && e.msg.length) out.push(messages(e.msg));
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
  }

  // ---- header, legend, toolbar ----------------------------------------------------------
  function renderHeader() {
    const { theorem, attempt } = DATA.summary;
    document.title = `${theorem.name} · ${attempt.verdict || attempt.status} · leanwb`;
    const verdict = document.getElementById("verdict");
    verdict.textContent = attempt.verdict || attempt.status;
    verdict.classList.add(attempt.verdict || attempt.status);
    document.getElementById("theorem-name").textContent = theorem.name;
    document.getElementById("theorem-name").title = theorem.statement;
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
  document.getElementById("btn-fit").addEventListener("click", () => fitTo([...nodes.values()]));
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
    fit: () => fitTo([...nodes.values()]),
    visibleCount: () => visible.size,
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
  renderPanel();
})();
