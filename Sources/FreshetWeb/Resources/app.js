// Freshet dashboard script: plain ES2020, no dependencies, hand-drawn SVG charts.
// Every value from the server is inserted with textContent / setAttribute, never innerHTML.
"use strict";
(function () {
  const SVGNS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f60c4", "#e0752d", "#37872d", "#c4162a", "#8f3bb8", "#0f8b8d", "#a66d00", "#5c6670", "#c2397f", "#4f7fd9"];
  const GENDER_COLORS = { female: "#8f3bb8", male: "#1f60c4" };
  const NNBSP = "\u202F"; // narrow no-break space: thin thousands separator
  const ERROR_CLASSES = ["429", "5xx", "4xx", "timeout", "connection", "malformed", "empty"];

  // ---------------------------------------------------------------- DOM helpers
  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, String(v));
    }
  }
  function addKids(node, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      node.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
  }
  function h(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    addKids(node, kids);
    return node;
  }
  function s(tag, attrs, ...kids) {
    const node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    addKids(node, kids);
    return node;
  }
  const $ = (sel, root) => (root || document).querySelector(sel);

  // ---------------------------------------------------------------- formatting
  const isNum = (n) => typeof n === "number" && Number.isFinite(n);
  const pad2 = (n) => String(n).padStart(2, "0");
  function groupDigits(str) { return str.replace(/\B(?=(\d{3})+(?!\d))/g, NNBSP); }
  function fmtInt(n) {
    if (!isNum(n)) return "—";
    const r = Math.round(n);
    return (r < 0 ? "−" : "") + groupDigits(String(Math.abs(r)));
  }
  function fmtDec(n, digits) {
    if (!isNum(n)) return "—";
    const d = digits === undefined ? 1 : digits;
    const fixed = Math.abs(n).toFixed(d);
    const [ip, fp] = fixed.split(".");
    return (n < 0 && Number(fixed) !== 0 ? "−" : "") + groupDigits(ip) + (fp ? "." + fp : "");
  }
  const fmtMs = (n) => (isNum(n) ? fmtDec(n, 1) + " ms" : "—");
  function fmtTime(ms) {
    if (!isNum(ms)) return "—";
    const d = new Date(ms);
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }
  function fmtHM(ms) {
    const d = new Date(ms);
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }
  function fmtFull(ms) {
    if (!isNum(ms)) return "";
    const d = new Date(ms);
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " + fmtTime(ms);
  }
  function fmtDuration(sec) {
    if (!isNum(sec)) return "—";
    const t = Math.max(0, Math.floor(sec));
    const hh = Math.floor(t / 3600), mm = Math.floor((t % 3600) / 60), ss = t % 60;
    return hh + "h " + pad2(mm) + "m " + pad2(ss) + "s";
  }
  function fmtBytes(b) {
    if (!isNum(b)) return "—";
    if (b < 1000) return fmtInt(b) + " B";
    if (b < 1e6) return fmtDec(b / 1e3, 1) + " kB";
    if (b < 1e9) return fmtDec(b / 1e6, 1) + " MB";
    return fmtDec(b / 1e9, 2) + " GB";
  }
  function fmtCompact(v) {
    if (!isNum(v)) return "—";
    const a = Math.abs(v);
    if (a >= 1e9) return trimDec(v / 1e9) + "G";
    if (a >= 1e6) return trimDec(v / 1e6) + "M";
    if (a >= 1e4) return trimDec(v / 1e3) + "k";
    if (Number.isInteger(v)) return fmtInt(v);
    return fmtDec(v, a < 10 ? 1 : 0);
  }
  function trimDec(x) { return (Math.round(x * 10) / 10).toString(); }
  const pct = (part, total) => (total > 0 ? fmtDec((part / total) * 100, 1) + "%" : "—");
  const sumCounts = (arr, key) => (Array.isArray(arr) ? arr.reduce((a, it) => a + (Number(it && it[key || "count"]) || 0), 0) : 0);
  const clip = (str, max) => (str.length > max ? str.slice(0, Math.max(1, max - 1)) + "…" : str);

  // ---------------------------------------------------------------- live status + counters
  function setStatus(state) {
    const el = document.getElementById("live-status");
    if (!el || el.dataset.state === state) return;
    el.dataset.state = state;
    const text = { live: "live", reconnecting: "reconnecting…", connecting: "connecting…" }[state] || state;
    const t = $(".status-text", el);
    if (t) t.textContent = text;
    el.setAttribute("title", state === "live" ? "Receiving live updates" : "Connection lost, retrying");
  }
  function countUpdate(total) {
    const b = document.body;
    const n = (parseInt(b.dataset.updates || "0", 10) || 0) + 1;
    b.dataset.updates = String(n);
    if (isNum(total)) {
      if (!("firstTotal" in b.dataset)) b.dataset.firstTotal = String(total);
      b.dataset.total = String(total);
    }
  }
  function panel(name) { return document.querySelector('section[data-panel="' + name + '"]'); }
  function panelBody(name) { const p = panel(name); return p ? $(".panel-body", p) || p : null; }
  function fill(name, value, ...content) {
    const p = panel(name);
    if (!p) return;
    const body = $(".panel-body", p) || p;
    body.replaceChildren(...content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    if (isNum(value)) { p.dataset.value = String(value); p.removeAttribute("data-unavailable"); }
    else { p.removeAttribute("data-value"); p.dataset.unavailable = "true"; }
  }
  function widthOf(name, fallback) {
    const b = panelBody(name);
    const w = b ? b.clientWidth : 0;
    return w > 0 ? w : (fallback || 480);
  }
  const empty = (msg) => h("p", { class: "empty" }, msg || "No data yet.");

  // Live stats: one initial fetch, then Server-Sent Events (EventSource reconnects by itself).
  function subscribeStats(onStats) {
    let sawEvent = false;
    setStatus("connecting");
    fetch("/api/stats", { cache: "no-store", credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((data) => { if (!sawEvent && data && typeof data === "object") onStats(data); })
      .catch(() => {});
    let es = null, retry = null;
    const connect = () => {
      es = new EventSource("/events");
      es.onopen = () => setStatus("live");
      es.addEventListener("stats", (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch (_) { return; }
        if (!data || typeof data !== "object") return;
        sawEvent = true;
        setStatus("live");
        onStats(data);
      });
      es.onerror = () => {
        setStatus("reconnecting");
        // A non-retriable failure (e.g. HTTP error status) closes the source: reopen it ourselves.
        if (es.readyState === EventSource.CLOSED) {
          clearTimeout(retry);
          retry = setTimeout(connect, 3000);
        }
      };
    };
    connect();
  }
  function getJSON(url) {
    return fetch(url, { cache: "no-store", credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }
  function onResize(fn) {
    let t = null, lastW = window.innerWidth;
    window.addEventListener("resize", () => {
      if (window.innerWidth === lastW) return;
      lastW = window.innerWidth;
      clearTimeout(t);
      t = setTimeout(fn, 150);
    });
  }

  // ---------------------------------------------------------------- chart helpers
  function niceTicks(max, count) {
    if (!(max > 0)) return [0, 1];
    const raw = max / (count || 4);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const norm = raw / mag;
    let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 && mag >= 10 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
    if (step < 1 && Number.isInteger(max)) step = 1;
    const top = Math.ceil(max / step - 1e-9) * step;
    const ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
    return ticks;
  }
  function chartSvg(w, hgt, label, cls) {
    const svg = s("svg", {
      class: "chart " + (cls || ""), role: "img", "aria-label": label,
      width: w, height: hgt, viewBox: "0 0 " + w + " " + hgt, preserveAspectRatio: "xMinYMin meet",
    });
    svg.append(s("title", { text: label }));
    return svg;
  }
  function srTable(caption, headers, rows) {
    return h("table", { class: "sr-only" },
      h("caption", { text: caption }),
      h("thead", null, h("tr", null, headers.map((x) => h("th", { scope: "col", text: x })))),
      h("tbody", null, rows.map((r) => h("tr", null, r.map((c) => h("td", { text: c }))))));
  }
  function summary(items, n, fmt) {
    return items.slice(0, n).map((it) => it.label + " " + (fmt || fmtInt)(it.value)).join(", ") + (items.length > n ? ", …" : "");
  }
  function yAxis(svg, ticks, m, pw, y, fmt) {
    const g = s("g", { class: "axis" });
    for (const t of ticks) {
      const yy = Math.round(y(t)) + 0.5;
      g.append(s("line", { class: t === 0 ? "baseline" : "grid-line", x1: m.l, x2: m.l + pw, y1: yy, y2: yy }));
      g.append(s("text", { x: m.l - 6, y: yy, "text-anchor": "end", "dominant-baseline": "middle", text: (fmt || fmtCompact)(t) }));
    }
    svg.append(g);
  }

  // Horizontal bars: items [{label, value}]
  function hbarChart(items, opts) {
    const W = Math.max(220, Math.floor(opts.width));
    const rowH = 22, gap = 6, top = 2;
    const H = top + items.length * (rowH + gap);
    const longest = items.reduce((m, it) => Math.max(m, String(it.label).length), 0);
    const labelW = Math.min(Math.round(W * 0.4), Math.max(48, longest * 7 + 10));
    const valueW = 62;
    const bw = Math.max(20, W - labelW - valueW);
    const max = Math.max(1, ...items.map((it) => it.value));
    const svg = chartSvg(W, H, opts.label, "hbar");
    const maxChars = Math.max(4, Math.floor((labelW - 10) / 6.6));
    items.forEach((it, i) => {
      const y0 = top + i * (rowH + gap);
      const len = it.value > 0 ? Math.max(2, (it.value / max) * bw) : 0;
      const color = opts.colors ? opts.colors[i % opts.colors.length] : (opts.color || COLORS[0]);
      const g = s("g", null);
      g.append(s("title", { text: it.label + ": " + (opts.fmt || fmtInt)(it.value) }));
      g.append(s("text", { x: labelW - 8, y: y0 + rowH / 2, "text-anchor": "end", "dominant-baseline": "middle", text: clip(String(it.label), maxChars) }));
      g.append(s("rect", { class: "bar", x: labelW, y: y0, width: len.toFixed(1), height: rowH, rx: 2, fill: color }));
      g.append(s("text", { class: "num", x: labelW + len + 6, y: y0 + rowH / 2, "dominant-baseline": "middle", text: (opts.fmt || fmtInt)(it.value) }));
      svg.append(g);
    });
    return svg;
  }

  // Vertical bars: items [{label, value, title?}], x labels thinned.
  function vbarChart(items, opts) {
    const W = Math.max(220, Math.floor(opts.width));
    const H = opts.height || 200;
    const m = { l: 46, r: 8, t: 10, b: 24 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const max = Math.max(0, ...items.map((it) => it.value));
    const ticks = niceTicks(max || 1, 4);
    const yMax = ticks[ticks.length - 1];
    const y = (v) => m.t + ph - (v / yMax) * ph;
    const svg = chartSvg(W, H, opts.label, "vbar");
    yAxis(svg, ticks, m, pw, y, opts.tickFmt);
    const n = Math.max(1, items.length);
    const slot = pw / n;
    const bw = Math.max(1, Math.min(48, slot * 0.78));
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(pw / (opts.labelWidth || 54)))));
    const xg = s("g", { class: "axis" });
    items.forEach((it, i) => {
      const cx = m.l + slot * i + slot / 2;
      const hgt = it.value > 0 ? Math.max(1, (it.value / yMax) * ph) : 0;
      const color = typeof opts.color === "function" ? opts.color(it, i) : (opts.color || COLORS[0]);
      const r = s("rect", { class: "bar", x: (cx - bw / 2).toFixed(1), y: (m.t + ph - hgt).toFixed(1), width: bw.toFixed(1), height: hgt.toFixed(1), fill: color });
      r.append(s("title", { text: it.title || it.label + ": " + fmtInt(it.value) }));
      svg.append(r);
      const anchorLast = i === n - 1 || (n - 1 - i) % every === 0;
      if (anchorLast) xg.append(s("text", { x: cx, y: H - 6, "text-anchor": "middle", text: it.label }));
    });
    svg.append(xg);
    return svg;
  }

  // Line chart: points [{label, value}]; x labels thinned to fit (years for long month series).
  function lineChart(points, opts) {
    const W = Math.max(240, Math.floor(opts.width));
    const H = opts.height || 230;
    const m = { l: 46, r: 14, t: 10, b: 26 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const n = points.length;
    const max = Math.max(0, ...points.map((p) => p.value));
    const ticks = niceTicks(max || 1, 4);
    const yMax = ticks[ticks.length - 1];
    const x = (i) => m.l + (n <= 1 ? pw / 2 : (i * pw) / (n - 1));
    const y = (v) => m.t + ph - (v / yMax) * ph;
    const svg = chartSvg(W, H, opts.label, "line");
    yAxis(svg, ticks, m, pw, y);
    const color = opts.color || COLORS[0];
    if (n > 0) {
      let d = "";
      points.forEach((p, i) => { d += (i ? "L" : "M") + x(i).toFixed(1) + "," + y(p.value).toFixed(1); });
      const area = d + "L" + x(n - 1).toFixed(1) + "," + (m.t + ph) + "L" + x(0).toFixed(1) + "," + (m.t + ph) + "Z";
      svg.append(s("path", { d: area, fill: color, "fill-opacity": 0.1, stroke: "none" }));
      svg.append(s("path", { d: d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round", "stroke-linecap": "round" }));
      if (n <= 400) {
        const g = s("g", null);
        points.forEach((p, i) => {
          const c = s("circle", { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: n <= 60 ? 3 : 6, fill: n <= 60 ? color : "transparent" });
          c.append(s("title", { text: p.label + ": " + fmtInt(p.value) }));
          g.append(c);
        });
        svg.append(g);
      }
    }
    // x labels
    const maxLabels = Math.max(2, Math.floor(pw / 58));
    let idx = [];
    const isMonth = points.length > 0 && points.every((p) => /^\d{4}-\d{2}$/.test(p.label));
    if (isMonth && n > maxLabels) {
      const jan = [];
      points.forEach((p, i) => { if (p.label.endsWith("-01")) jan.push(i); });
      const step = Math.max(1, Math.ceil(jan.length / maxLabels));
      idx = jan.filter((_, k) => k % step === 0).map((i) => ({ i: i, text: points[i].label.slice(0, 4) }));
      if (idx.length < 2) idx = [];
    }
    if (!idx.length && n) {
      const step = Math.max(1, Math.ceil(n / maxLabels));
      for (let i = 0; i < n; i += step) idx.push({ i: i, text: points[i].label });
    }
    const xg = s("g", { class: "axis" });
    idx.forEach(({ i, text }) => {
      const xx = x(i);
      xg.append(s("line", { class: "grid-line", x1: xx, x2: xx, y1: m.t + ph, y2: m.t + ph + 4 }));
      xg.append(s("text", { x: xx, y: H - 6, "text-anchor": xx < m.l + 20 ? "start" : xx > W - 30 ? "end" : "middle", text: text }));
    });
    svg.append(xg);
    return svg;
  }

  // Donut with a legend: items [{label, value}]
  function donutChart(items, opts) {
    const total = items.reduce((a, it) => a + it.value, 0);
    const size = 168, r = 62, sw = 30, c = size / 2;
    const circ = 2 * Math.PI * r;
    const svg = chartSvg(size, size, opts.label, "donut");
    svg.append(s("circle", { cx: c, cy: c, r: r, fill: "none", stroke: "#eceef1", "stroke-width": sw }));
    let offset = 0;
    items.forEach((it, i) => {
      if (!(it.value > 0) || !(total > 0)) return;
      const len = (it.value / total) * circ;
      const seg = s("circle", {
        class: "slice", cx: c, cy: c, r: r, fill: "none", stroke: opts.color(it, i), "stroke-width": sw,
        "stroke-dasharray": len.toFixed(2) + " " + (circ - len).toFixed(2),
        "stroke-dashoffset": (-offset).toFixed(2), transform: "rotate(-90 " + c + " " + c + ")",
      });
      seg.append(s("title", { text: it.label + ": " + fmtInt(it.value) + " (" + pct(it.value, total) + ")" }));
      svg.append(seg);
      offset += len;
    });
    svg.append(s("text", { x: c, y: c - 4, "text-anchor": "middle", "font-size": 18, "font-weight": 600, text: fmtCompact(total) }));
    svg.append(s("text", { class: "axis", x: c, y: c + 14, "text-anchor": "middle", text: "users" }));
    const legend = h("ul", { class: "legend", "aria-hidden": "true" }, items.map((it, i) =>
      h("li", null,
        h("span", { class: "sw", style: "background:" + opts.color(it, i) }),
        h("span", { class: "ll", text: it.label }),
        h("span", { class: "lv", text: fmtInt(it.value) + " · " + pct(it.value, total) }))));
    return h("div", { class: "donut-wrap" }, svg, legend);
  }

  // Small multi-series sparkline: series [{name, color, values[]}]
  function sparkline(series, opts) {
    const W = Math.max(200, Math.floor(opts.width)), H = opts.height || 64;
    const m = { l: 4, r: 4, t: 6, b: 6 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const all = series.flatMap((se) => se.values.filter(isNum));
    const max = Math.max(1, ...all);
    const n = Math.max(2, opts.capacity || Math.max(...series.map((se) => se.values.length)));
    const svg = chartSvg(W, H, opts.label, "spark");
    svg.append(s("line", { class: "baseline", x1: m.l, x2: W - m.r, y1: m.t + ph + 0.5, y2: m.t + ph + 0.5 }));
    for (const se of series) {
      const vals = se.values;
      const startI = n - vals.length;
      let d = "";
      vals.forEach((v, i) => {
        if (!isNum(v)) return;
        const xx = m.l + ((startI + i) * pw) / (n - 1);
        const yy = m.t + ph - (v / max) * ph;
        d += (d ? "L" : "M") + xx.toFixed(1) + "," + yy.toFixed(1);
      });
      if (d) svg.append(s("path", { d: d, fill: "none", stroke: se.color, "stroke-width": se.width || 2, "stroke-dasharray": se.dash || null, "stroke-linejoin": "round" }));
    }
    return svg;
  }

  function dataTable(headers, rows, opts) {
    // headers: [{text, num?}], rows: arrays of cells (string | Node | {text|node, num?, cls?})
    return h("div", { class: "table-wrap" }, h("table", { class: "data " + ((opts && opts.stack) ? "stack" : "") },
      opts && opts.caption ? h("caption", { class: "sr-only", text: opts.caption }) : null,
      h("thead", null, h("tr", null, headers.map((c) => h("th", { scope: "col", class: c.num ? "num" : null, text: c.text })))),
      h("tbody", null, rows.map((r) => {
        const tr = h("tr", r.attrs || null);
        (r.cells || r).forEach((cell, i) => {
          const isObj = cell && typeof cell === "object" && !(cell instanceof Node);
          const content = isObj ? (cell.node || cell.text) : cell;
          const td = h("td", { class: [headers[i].num ? "num" : "", isObj && cell.cls ? cell.cls : ""].join(" ").trim() || null, "data-label": headers[i].text, title: isObj && cell.title ? cell.title : null });
          if (content instanceof Node) td.append(content); else td.textContent = content === null || content === undefined ? "—" : String(content);
          tr.append(td);
        });
        return tr;
      }))));
  }
  function stat(label, value, unit, cls) {
    return h("div", { class: "stat " + (cls || "") },
      h("div", { class: "stat-label", text: label }),
      h("div", { class: "stat-value" }, value, unit ? h("span", { class: "unit", text: unit }) : null));
  }
  function setMeta(st, extra) {
    const el = document.getElementById("meta");
    if (!el) return;
    const parts = ["updated " + fmtTime(st.generated_at)];
    if (st.mode) parts.push("mode: " + st.mode);
    if (isNum(st.uptime_seconds)) parts.push("uptime " + fmtDuration(st.uptime_seconds));
    if (extra) parts.push(extra);
    el.textContent = parts.join(" · ");
  }
  const items = (arr) => (Array.isArray(arr) ? arr : []).map((it) => ({ label: String(it && it.label !== undefined ? it.label : "?"), value: Number(it && it.count) || 0 }));

  // ================================================================= Dashboard
  function dashboardPage() {
    let last = null;
    const draw = (st) => {
      const u = st.users || {};
      setMeta(st);
      // total
      fill("total", Number(u.total) || 0,
        h("p", { class: "big", text: fmtInt(Number(u.total) || 0) }),
        h("ul", { class: "sub-stats" },
          h("li", null, "Male ", h("b", { text: fmtInt(Number(u.male) || 0) })),
          h("li", null, "Female ", h("b", { text: fmtInt(Number(u.female) || 0) }))),
        "firstTotal" in document.body.dataset ? h("p", { class: "panel-sub delta", text: "+" + fmtInt(Math.max(0, (Number(u.total) || 0) - Number(document.body.dataset.firstTotal))) + " since this page was opened" }) : null);
      // gender
      const g = items(u.gender);
      const gSum = g.reduce((a, it) => a + it.value, 0);
      fill("gender", gSum, g.length && gSum > 0 ? [
        donutChart(g, { label: "Gender distribution: " + g.map((it) => it.label + " " + fmtInt(it.value) + " (" + pct(it.value, gSum) + ")").join(", "), color: (it, i) => GENDER_COLORS[it.label.toLowerCase()] || COLORS[(i + 2) % COLORS.length] }),
        srTable("Gender distribution", ["Gender", "Users", "Share"], g.map((it) => [it.label, fmtInt(it.value), pct(it.value, gSum)])),
      ] : empty());
      // countries
      const c = items(u.top_countries).slice(0, 10);
      const cSum = c.reduce((a, it) => a + it.value, 0);
      fill("countries", cSum, c.length ? [
        hbarChart(c, { width: widthOf("countries"), label: "Top countries by users: " + summary(c, 10), color: COLORS[0] }),
        srTable("Top 10 countries", ["Country", "Users"], c.map((it) => [it.label, fmtInt(it.value)])),
      ] : empty());
      // recent
      const rec = Array.isArray(u.recent) ? u.recent : [];
      fill("recent", rec.length, rec.length ? dataTable(
        [{ text: "Name" }, { text: "Email" }, { text: "Phone" }, { text: "Address" }, { text: "Gender" }, { text: "Nat." }, { text: "Ingested" }],
        rec.map((r) => [
          [r.first_name, r.last_name].filter(Boolean).join(" ") || "—", r.email, r.phone, r.address, r.gender, r.nat,
          { text: fmtTime(r.ingested_at), title: r.registered_date ? "registered " + String(r.registered_date) : null },
        ]), { stack: true, caption: "The " + rec.length + " most recently ingested users, newest first" }) : empty());
      // monthly
      const mo = items(u.monthly_registrations);
      const moSum = mo.reduce((a, it) => a + it.value, 0);
      fill("monthly", moSum, mo.length ? [
        lineChart(mo, { width: widthOf("monthly"), height: 240, label: "Monthly registrations from " + mo[0].label + " to " + mo[mo.length - 1].label + ", " + fmtInt(moSum) + " users in total, peak " + fmtInt(Math.max(...mo.map((p) => p.value))) + " in a month", color: COLORS[2] }),
        srTable("Registrations per month", ["Month", "Registrations"], mo.map((it) => [it.label, fmtInt(it.value)])),
      ] : empty());
      // domains
      const dm = items(u.email_domains).slice(0, 10);
      const dSum = dm.reduce((a, it) => a + it.value, 0);
      fill("domains", dSum, dm.length ? [
        hbarChart(dm, { width: widthOf("domains"), label: "Email providers by users: " + summary(dm, 10), colors: COLORS }),
        srTable("Email providers", ["Domain", "Users"], dm.map((it) => [it.label, fmtInt(it.value)])),
      ] : empty());
      // ingest per minute
      // Minutes without ingest may be missing from the data: lay the bars on a 60-minute grid.
      const raw = (Array.isArray(st.ingest_per_minute) ? st.ingest_per_minute : [])
        .map((b) => ({ ts: Number(b.window_start) || 0, value: Number(b.count) || 0 }));
      const iSum = raw.reduce((a, it) => a + it.value, 0);
      let ing = [];
      if (raw.length) {
        const MIN = 60000;
        const end = Math.max(Math.floor((Number(st.generated_at) || 0) / MIN) * MIN, ...raw.map((b) => Math.floor(b.ts / MIN) * MIN));
        const start = end - 59 * MIN;
        const byMin = new Map();
        for (const b of raw) {
          const k = Math.max(start, Math.floor(b.ts / MIN) * MIN);
          byMin.set(k, (byMin.get(k) || 0) + b.value);
        }
        for (let t = start; t <= end; t += MIN) {
          const v = byMin.get(t) || 0;
          ing.push({ label: fmtHM(t), value: v, title: fmtHM(t) + " — " + fmtInt(v) + " users" });
        }
      }
      const lastMin = ing.length ? ing[ing.length - 1].value : 0;
      fill("ingest", iSum, ing.length ? [
        h("ul", { class: "sub-stats" },
          h("li", null, "Last 60 min ", h("b", { text: fmtInt(iSum) })),
          h("li", null, "Current minute ", h("b", { text: fmtInt(lastMin) })),
          h("li", null, "Avg/min ", h("b", { text: fmtInt(iSum / ing.length) }))),
        vbarChart(ing, { width: widthOf("ingest"), height: 190, label: "Users ingested per minute over the last " + ing.length + " minutes, " + fmtInt(iSum) + " in total, latest minute " + fmtInt(lastMin), color: COLORS[0] }),
        srTable("Users ingested per minute", ["Minute", "Users"], ing.filter((it) => it.value > 0).map((it) => [it.label, fmtInt(it.value)])),
      ] : empty("No ingest in the last 60 minutes."));
    };
    subscribeStats((st) => {
      last = st;
      draw(st);
      countUpdate(st.users ? Number(st.users.total) : undefined);
    });
    onResize(() => { if (last) draw(last); });
  }

  // ================================================================= Pipeline
  function pipelinePage() {
    const CAP = 60;
    const hist = [];
    let last = null;
    const draw = (st) => {
      const p = st.pipeline && typeof st.pipeline === "object" ? st.pipeline : null;
      setMeta(st);
      const note = document.getElementById("mode-note");
      if (note) {
        if (!p) {
          if (!note.firstChild) note.append(h("div", { class: "note", role: "note" },
            h("strong", { text: "read-only: no pipeline runs in this process" }),
            " — this server only reads the store (mode “" + String(st.mode || "serve") + "”). Run the pipeline with “freshet up” to see live throughput, latency, lag and errors."));
        } else note.replaceChildren();
      }
      const na = () => empty("Not available: no pipeline runs in this process.");
      // throughput
      if (p) {
        const inV = hist.map((x) => x.in), outV = hist.map((x) => x.out);
        fill("throughput", Number(p.records_in_per_second) || 0,
          h("div", { class: "stats" },
            stat("In", fmtDec(Number(p.records_in_per_second), 1), "rec/s"),
            stat("Out", fmtDec(Number(p.records_out_per_second), 1), "rec/s")),
          h("div", { class: "stats" },
            stat("Produced", fmtInt(Number(p.produced))),
            stat("Consumed", fmtInt(Number(p.consumed))),
            stat("Stored", fmtInt(Number(p.stored)))),
          h("p", { class: "panel-sub" }, "Records/s over the last " + hist.length + " updates — ", h("span", { style: "color:" + COLORS[0], text: "━ in" }), " ", h("span", { style: "color:" + COLORS[1], text: "┅ out" }), " (max " + fmtDec(Math.max(0, ...inV.filter(isNum), ...outV.filter(isNum)), 1) + ")"),
          sparkline([{ name: "in", color: COLORS[0], values: inV }, { name: "out", color: COLORS[1], values: outV, dash: "4 3" }],
            { width: widthOf("throughput"), height: 64, capacity: CAP, label: "Records per second over the last " + hist.length + " updates: in now " + fmtDec(Number(p.records_in_per_second), 1) + ", out now " + fmtDec(Number(p.records_out_per_second), 1) }),
          srTable("Records per second, recent updates", ["Time", "In", "Out"], hist.slice(-10).map((x) => [fmtTime(x.t), fmtDec(x.in, 1), fmtDec(x.out, 1)])));
      } else {
        fill("throughput", undefined, na(), h("ul", { class: "sub-stats" }, h("li", null, "Users stored ", h("b", { text: fmtInt(Number(st.users && st.users.total)) }))));
      }
      // latency
      if (p) {
        const lat = p.latency_ms || {}, sw = p.store_write_ms || {};
        fill("latency", isNum(lat.p99) ? lat.p99 : 0,
          h("h3", { text: "End-to-end (source → store)" }),
          h("div", { class: "stats" }, stat("p50", fmtDec(lat.p50, 1), "ms"), stat("p99", fmtDec(lat.p99, 1), "ms")),
          h("h3", { text: "Store write" }),
          h("div", { class: "stats" }, stat("p50", fmtDec(sw.p50, 1), "ms"), stat("p99", fmtDec(sw.p99, 1), "ms")));
      } else fill("latency", undefined, na());
      // lag
      if (p) {
        const lag = (Array.isArray(p.lag) ? p.lag : []).map((l) => ({ label: "p" + l.partition, value: Number(l.lag) || 0, title: "partition " + l.partition + ": lag " + fmtInt(Number(l.lag) || 0) }));
        const total = isNum(p.total_lag) ? p.total_lag : lag.reduce((a, it) => a + it.value, 0);
        fill("lag", total,
          h("div", { class: "stats" }, stat("Total lag", fmtInt(total), "records", total > 1000 ? "bad" : "")),
          lag.length ? [
            vbarChart(lag, { width: widthOf("lag"), height: 160, labelWidth: 30, label: "Consumer lag per partition: " + lag.map((l) => l.label + " " + fmtInt(l.value)).join(", "), color: COLORS[5] }),
            srTable("Consumer lag per partition", ["Partition", "Lag"], lag.map((l) => [l.label, fmtInt(l.value)])),
          ] : empty("No partitions assigned."));
      } else fill("lag", undefined, na());
      // dlq
      if (p) {
        const dlq = p.dlq || {};
        const byCode = Object.entries(dlq.by_code || {}).sort((a, b) => b[1] - a[1]);
        const latest = Array.isArray(dlq.latest) ? dlq.latest : [];
        fill("dlq", Number(dlq.total) || 0,
          h("div", { class: "stats" }, stat("Dead-lettered", fmtInt(Number(dlq.total) || 0), "records", dlq.total > 0 ? "bad" : "ok"),
            stat("Dropped", fmtInt(Number(p.dropped) || 0), "neither stored nor dead-lettered", p.dropped > 0 ? "bad" : "ok")),
          byCode.length ? h("ul", { class: "chips", "aria-label": "Dead letters by code" }, byCode.map(([code, n]) => h("li", { class: "chip" }, h("span", { class: "code", text: code }), h("b", { text: fmtInt(Number(n)) })))) : null,
          latest.length ? dataTable([{ text: "Time" }, { text: "Code" }, { text: "Reason" }, { text: "Source" }],
            latest.map((d) => [fmtTime(d.timestamp), { node: h("span", { class: "tag-code", text: String(d.code) }) }, { text: d.reason, cls: "dlq-reason" }, { node: h("span", { class: "code", text: String(d.source) }) }]),
            { stack: true, caption: "Latest dead-lettered records" }) : empty("No dead letters."));
      } else fill("dlq", undefined, na());
      // source errors
      if (p) {
        const src = p.source || {};
        const errs = src.errors || {};
        const keys = ERROR_CLASSES.concat(Object.keys(errs).filter((k) => !ERROR_CLASSES.includes(k)));
        const it = keys.map((k) => ({ label: k, value: Number(errs[k]) || 0 }));
        const eSum = it.reduce((a, x) => a + x.value, 0);
        fill("source-errors", eSum,
          h("div", { class: "stats" }, stat("Requests", fmtInt(Number(src.requests))), stat("People", fmtInt(Number(src.people))), stat("Errors", fmtInt(eSum), null, eSum > 0 ? "bad" : "ok")),
          hbarChart(it, { width: widthOf("source-errors"), label: "Source errors by class: " + it.map((x) => x.label + " " + fmtInt(x.value)).join(", "), color: COLORS[3] }),
          srTable("Source errors by class", ["Class", "Errors"], it.map((x) => [x.label, fmtInt(x.value)])));
      } else fill("source-errors", undefined, na());
      // process
      const rss = p && isNum(p.rss_bytes) ? p.rss_bytes : null;
      fill("process", isNum(st.uptime_seconds) ? st.uptime_seconds : 0,
        h("div", { class: "stats" },
          stat("Uptime", fmtDuration(st.uptime_seconds), null, "wrap"),
          stat("RSS", rss === null ? "—" : fmtDec(rss / 1e6, 1), "MB"),
          stat("Mode", String(st.mode || "—")),
          stat("Users stored", fmtInt(Number(st.users && st.users.total)))));
    };
    subscribeStats((st) => {
      const p = st.pipeline;
      if (p && typeof p === "object") {
        hist.push({ t: st.generated_at, in: Number(p.records_in_per_second), out: Number(p.records_out_per_second) });
        if (hist.length > CAP) hist.splice(0, hist.length - CAP);
      }
      last = st;
      draw(st);
      countUpdate(st.users ? Number(st.users.total) : undefined);
    });
    onResize(() => { if (last) draw(last); });
  }

  // ================================================================= Topics
  function topicsPage() {
    const params = new URLSearchParams(location.search);
    const sel = document.getElementById("msg-topic");
    const lim = document.getElementById("msg-limit");
    const auto = document.getElementById("msg-auto");
    const refresh = document.getElementById("msg-refresh");
    const open = new Set(); // expanded message rows: "partition@offset"
    let wanted = params.get("topic") || "users_created";
    if (params.get("limit") && lim) lim.value = params.get("limit");
    let msgSeq = 0;

    function renderTopics(topics) {
      const list = Array.isArray(topics) ? topics : [];
      const body = panelBody("topics");
      let nParts = 0;
      const table = h("table", { class: "data" },
        h("caption", { class: "sr-only", text: "Topics and their partitions" }),
        h("thead", null, h("tr", null, ["Partition", "Earliest", "Latest", "Records", "Bytes"].map((x, i) => h("th", { scope: "col", class: i ? "num" : null, text: x })))));
      for (const t of list) {
        const parts = Array.isArray(t.partitions) ? t.partitions : [];
        const recs = parts.reduce((a, p) => a + Math.max(0, (Number(p.latest) || 0) - (Number(p.earliest) || 0)), 0);
        const bytes = parts.reduce((a, p) => a + (Number(p.bytes) || 0), 0);
        const tb = h("tbody", { "data-topic-group": String(t.name) },
          h("tr", { class: "group-head" }, h("th", { scope: "rowgroup", colspan: 5 },
            h("span", { class: "code", text: String(t.name) }),
            h("span", { class: "meta", text: parts.length + (parts.length === 1 ? " partition · " : " partitions · ") + fmtInt(recs) + " records · " + fmtBytes(bytes) }))));
        for (const p of parts) {
          nParts++;
          const e = Number(p.earliest), l = Number(p.latest);
          tb.append(h("tr", { "data-topic": String(t.name), "data-partition": String(p.partition), "data-latest": isNum(l) ? String(l) : null },
            h("td", { "data-label": "Partition", text: String(p.partition) }),
            h("td", { class: "num", "data-label": "Earliest", text: fmtInt(e) }),
            h("td", { class: "num", "data-label": "Latest", text: fmtInt(l) }),
            h("td", { class: "num", "data-label": "Records", text: fmtInt(Math.max(0, l - e)) }),
            h("td", { class: "num", "data-label": "Bytes", text: fmtBytes(Number(p.bytes)) })));
        }
        table.append(tb);
      }
      body.replaceChildren(list.length ? h("div", { class: "table-wrap" }, table) : empty("No topics."));
      panel("topics").dataset.value = String(nParts);
    }

    function renderGroups(groups) {
      const list = Array.isArray(groups) ? groups : [];
      const body = panelBody("groups");
      body.replaceChildren(...(list.length ? list.map((g) => {
        const members = Array.isArray(g.members) ? g.members : [];
        const offs = Array.isArray(g.offsets) ? g.offsets : [];
        const totalLag = offs.reduce((a, o) => a + (isNum(o.lag) ? o.lag : 0), 0);
        return h("div", { class: "group", "data-group": String(g.group) },
          h("h3", { class: "group-title" }, h("span", { class: "code", text: String(g.group) }),
            h("span", { class: "state", "data-state": String(g.state), text: String(g.state || "unknown") }),
            h("span", { class: "meta", text: members.length + (members.length === 1 ? " member" : " members") + " · total lag " + fmtInt(totalLag) })),
          members.length ? h("ul", { class: "members", "aria-label": "Members of " + g.group }, members.map((m) =>
            h("li", null, h("span", { class: "code", text: String(m.member_id) }), " → ",
              (Array.isArray(m.assignment) && m.assignment.length ? m.assignment.join(", ") : "no partitions")))) : null,
          offs.length ? dataTable([{ text: "Topic / partition" }, { text: "Committed", num: true }, { text: "Latest", num: true }, { text: "Lag", num: true }, { text: "Owner" }],
            offs.map((o) => ({
              attrs: { "data-group": String(g.group), "data-group-topic": String(o.topic), "data-group-partition": String(o.partition) },
              cells: [String(o.topic) + " / " + o.partition,
                o.committed === null || o.committed === undefined ? "—" : fmtInt(Number(o.committed)),
                fmtInt(Number(o.latest)),
                { text: o.lag === null || o.lag === undefined ? "—" : fmtInt(Number(o.lag)), cls: isNum(o.lag) && o.lag > 1000 ? "lag-bad" : "" },
                { node: h("span", { class: "code", text: o.owner === null || o.owner === undefined ? "—" : String(o.owner) }) }],
            })), { stack: true, caption: "Committed offsets of " + g.group }) : empty("No committed offsets."));
      }) : [empty("No consumer groups.")]));
      panel("groups").dataset.value = String(list.length);
    }

    function updateSelect(topics) {
      const names = (Array.isArray(topics) ? topics : []).map((t) => String(t.name));
      const have = Array.from(sel.options).map((o) => o.value);
      if (names.join("\n") !== have.join("\n")) {
        sel.replaceChildren(...names.map((n) => h("option", { value: n, text: n })));
      }
      const pick = names.includes(wanted) ? wanted : names.includes(sel.value) ? sel.value : names[0];
      if (pick !== undefined && sel.value !== pick) sel.value = pick;
    }

    async function loadMessages() {
      const topic = sel.value || wanted;
      if (!topic) return;
      const limit = parseInt(lim.value, 10) || 20;
      const seq = ++msgSeq;
      let msgs;
      try {
        msgs = await getJSON("/api/topics/" + encodeURIComponent(topic) + "/messages?limit=" + limit);
      } catch (e) {
        if (seq === msgSeq) fill("messages", undefined, empty("Could not load messages: " + e.message));
        return;
      }
      if (seq !== msgSeq) return; // a newer request superseded this one
      renderMessages(topic, Array.isArray(msgs) ? msgs : []);
    }

    function prettyValue(v) {
      const str = v === null || v === undefined ? "" : String(v);
      try { return JSON.stringify(JSON.parse(str), null, 2); } catch (_) { return str; }
    }

    function renderMessages(topic, msgs) {
      const hdr = (m, k) => (m.headers && typeof m.headers === "object" && m.headers[k] !== undefined && m.headers[k] !== null ? String(m.headers[k]) : "");
      const isDlq = /\.dlq$/.test(topic) || msgs.some((m) => hdr(m, "freshet.error.code"));
      const headers = [{ text: "Partition", num: true }, { text: "Offset", num: true }, { text: "Time" }, { text: "Key" }]
        .concat(isDlq ? [{ text: "Error code" }, { text: "Reason" }] : [])
        .concat([{ text: "Value" }]);
      const rows = msgs.map((m) => {
        const id = m.partition + "@" + m.offset;
        const value = m.value === null || m.value === undefined ? "" : String(m.value);
        // Confluent-framed Avro: the value is its JSON (schema_id), or raw with value_error.
        const avro = m.schema_id === undefined || m.schema_id === null ? "" : "Avro, schema id " + m.schema_id + (m.value_error ? " — not decoded: " + m.value_error : "");
        const det = h("details", { class: "value" },
          h("summary", { text: (avro && m.value_error ? "[Avro, not decoded] " : "") + (clip(value.replace(/\s+/g, " "), 90) || "(empty)") }),
          avro ? h("p", { class: "panel-sub", text: avro }) : null,
          h("pre", { text: prettyValue(value) }),
          m.headers && Object.keys(m.headers).length ? h("dl", { class: "headers" }, Object.entries(m.headers).flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: String(v) })])) : null);
        if (open.has(id)) det.open = true;
        det.addEventListener("toggle", () => { if (det.open) open.add(id); else open.delete(id); });
        const cells = [fmtInt(Number(m.partition)), fmtInt(Number(m.offset)), { text: fmtTime(Number(m.timestamp)), title: fmtFull(Number(m.timestamp)) },
          { node: h("span", { class: "code", text: m.key === null || m.key === undefined ? "—" : String(m.key) }) }];
        if (isDlq) cells.push({ node: h("span", { class: "tag-code", text: hdr(m, "freshet.error.code") || "—" }) }, { text: hdr(m, "freshet.error.reason") || "—", cls: "dlq-reason" });
        cells.push({ node: det });
        return { attrs: { "data-msg-partition": String(m.partition), "data-msg-offset": String(m.offset) }, cells: cells };
      });
      fill("messages", msgs.length,
        h("p", { class: "panel-sub", text: msgs.length + " newest message" + (msgs.length === 1 ? "" : "s") + " of " + topic + (isDlq ? " — dead letters, with error code and reason" : "") + " · loaded " + fmtTime(Date.now()) }),
        msgs.length ? dataTable(headers, rows, { stack: true, caption: "Last messages of " + topic }) : empty("No messages in " + topic + "."));
    }

    async function poll() {
      try {
        const [topics, groups] = await Promise.all([getJSON("/api/topics"), getJSON("/api/groups")]);
        setStatus("live");
        renderTopics(topics);
        renderGroups(groups);
        const before = sel.value;
        updateSelect(topics);
        const meta = document.getElementById("meta");
        if (meta) meta.textContent = "updated " + fmtTime(Date.now()) + " · refreshes every 2 s";
        const t = (Array.isArray(topics) ? topics : []).find((x) => x.name === "users_created");
        const total = t ? t.partitions.reduce((a, p) => a + (Number(p.latest) || 0), 0) : undefined;
        countUpdate(total);
        if (before !== sel.value || auto.checked || !panel("messages").dataset.value) loadMessages();
      } catch (_) {
        setStatus("reconnecting");
      } finally {
        setTimeout(poll, 2000);
      }
    }

    sel.addEventListener("change", () => { wanted = sel.value; open.clear(); loadMessages(); });
    lim.addEventListener("change", loadMessages);
    refresh.addEventListener("click", loadMessages);
    setStatus("connecting");
    poll();
  }

  // ================================================================= Runs
  function runsPage() {
    const root = document.getElementById("dags");
    const alertBox = document.getElementById("runs-error");
    const sections = new Map(); // dag id -> {el, info, body, form}
    const openRuns = new Set(); // "dag\u0000run id" with task instances shown
    let writable = false;

    function showError(msg) {
      alertBox.textContent = msg || "";
      alertBox.hidden = !msg;
    }
    async function apiError(r) {
      try {
        const j = await r.json();
        return j && j.error ? String(j.error) : "HTTP " + r.status;
      } catch (_) { return "HTTP " + r.status; }
    }
    const when = (iso) => { const ms = iso ? Date.parse(iso) : NaN; return isNum(ms) ? fmtFull(ms) : "—"; };
    function fmtRunDuration(ms) {
      if (!isNum(ms)) return "—";
      if (ms < 1000) return fmtInt(ms) + " ms";
      if (ms < 60000) return fmtDec(ms / 1000, 1) + " s";
      return fmtDuration(ms / 1000);
    }
    const badge = (state) => h("span", { class: "state", "data-state": String(state), text: String(state) });

    async function post(dag, action, body) {
      const init = { method: "POST", credentials: "same-origin", cache: "no-store" };
      if (body !== undefined) { init.headers = { "Content-Type": "application/json" }; init.body = JSON.stringify(body); }
      let r;
      try { r = await fetch("/api/dags/" + encodeURIComponent(dag) + "/" + action, init); }
      catch (e) { showError(dag + ": " + action + " failed: " + e.message); return null; }
      if (!r.ok) { showError(dag + ": " + action + " failed: " + await apiError(r)); return null; }
      showError("");
      return r.json();
    }

    function controls(dag) {
      const dur = h("input", { type: "text", placeholder: "e.g. 3s", "data-duration": dag, autocomplete: "off" });
      const trigger = h("button", { type: "submit", "data-trigger": dag, text: "Trigger run" });
      const pause = h("button", { type: "button", "data-pause": dag, text: "Pause" });
      const out = h("span", { class: "meta", role: "status", "data-trigger-result": dag });
      const form = h("form", { class: "controls", "aria-label": "Run " + dag },
        h("label", null, "Duration (optional)", dur), trigger, pause, out);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        trigger.disabled = true;
        const conf = {};
        if (dur.value.trim()) conf.duration = dur.value.trim();
        const j = await post(dag, "runs", { conf: conf });
        trigger.disabled = false;
        if (j) { out.textContent = "queued " + String(j.run_id); refresh(); }
      });
      pause.addEventListener("click", async () => {
        pause.disabled = true;
        const j = await post(dag, pause.dataset.paused === "true" ? "unpause" : "pause");
        pause.disabled = false;
        if (j) refresh();
      });
      return form;
    }

    function section(d) {
      let sec = sections.get(d.dag);
      if (sec && !!sec.form === writable) return sec;
      const id = "h-dag-" + (sections.size + 1);
      const info = h("p", { class: "panel-sub dag-info" });
      const body = h("div", { class: "panel-body" }, empty("Loading…"));
      const form = writable ? controls(d.dag) : null;
      const el = h("section", { class: "panel span-12", "data-dag": d.dag, "aria-labelledby": id },
        h("h2", { id: id }, h("span", { class: "code", text: d.dag })), info, form, body);
      if (sec) sec.el.replaceWith(el); else root.append(el);
      sec = { el: el, info: info, body: body, form: form };
      sections.set(d.dag, sec);
      return sec;
    }

    function renderDAG(d, runs) {
      const sec = section(d);
      sec.el.dataset.paused = String(!!d.paused);
      const tasks = Array.isArray(d.tasks) ? d.tasks : [];
      sec.info.replaceChildren(
        h("span", null, "schedule ", h("span", { class: "code", text: String(d.schedule) })),
        d.paused ? badge("paused") : h("span", { text: "active" }),
        h("span", { text: "next run " + (d.paused ? "— (paused)" : when(d.next_run)) }),
        h("span", { text: "tasks " + tasks.map((t) => String(t.task_id)).join(" → ") }));
      if (sec.form) {
        const pause = $("[data-pause]", sec.form);
        pause.dataset.paused = String(!!d.paused);
        pause.textContent = d.paused ? "Unpause" : "Pause";
      }
      const list = Array.isArray(runs) ? runs : [];
      const rows = list.map((r) => {
        const key = d.dag + "\u0000" + r.run_id;
        const ti = Array.isArray(r.tasks) ? r.tasks : [];
        const det = h("details", { class: "tasks" },
          h("summary", { text: ti.length + (ti.length === 1 ? " task instance" : " task instances") }),
          h("ul", null, ti.map((t) => h("li", { "data-task": String(t.task_id) },
            h("span", { class: "code", text: String(t.task_id) }), " try " + t.try_number + " ", badge(t.state),
            " " + when(t.start) + (t.error ? " — " : ""), t.error ? h("span", { class: "run-error", text: String(t.error) }) : null))));
        if (openRuns.has(key)) det.open = true;
        det.addEventListener("toggle", () => { if (det.open) openRuns.add(key); else openRuns.delete(key); });
        return {
          attrs: { "data-run": String(r.run_id), "data-state": String(r.state), "data-records": String(r.records) },
          cells: [
            { node: h("span", { class: "code run-id", text: String(r.run_id) }) },
            { node: badge(r.state) },
            { text: when(r.start), title: r.start ? String(r.start) + (r.end ? " → " + String(r.end) : "") : null },
            fmtRunDuration(r.duration_ms),
            fmtInt(Number(r.records)),
            { text: r.error === null || r.error === undefined ? "" : String(r.error), cls: "run-error" },
            { node: det },
          ],
        };
      });
      sec.body.replaceChildren(rows.length
        ? dataTable([{ text: "Run" }, { text: "State" }, { text: "Start" }, { text: "Duration", num: true }, { text: "Records", num: true }, { text: "Error" }, { text: "Tasks" }],
          rows, { stack: true, caption: "Newest runs of " + d.dag })
        : empty("No runs of " + d.dag + " yet."));
      sec.el.dataset.value = String(rows.length);
    }

    let busy = false;
    async function refresh() {
      if (busy) return;
      busy = true;
      try {
        const r = await fetch("/api/dags", { cache: "no-store", credentials: "same-origin" });
        if (r.status === 404) {
          const msg = await apiError(r);
          document.body.dataset.noScheduler = "true";
          root.replaceChildren(h("p", { class: "note", "data-no-scheduler": "true", text: msg.startsWith("no scheduler") ? "No scheduler here: this server was started without DAGs (freshet scheduler runs them)." : msg }));
          setStatus("live");
          countUpdate();
          return;
        }
        if (!r.ok) { showError("/api/dags: " + await apiError(r)); setStatus("reconnecting"); return; }
        const data = await r.json();
        writable = !!(data && data.writable);
        document.body.dataset.writable = String(writable);
        const dags = Array.isArray(data && data.dags) ? data.dags : [];
        const runs = await Promise.all(dags.map(async (d) => {
          const rr = await fetch("/api/dags/" + encodeURIComponent(d.dag) + "/runs?limit=20", { cache: "no-store", credentials: "same-origin" });
          if (!rr.ok) throw new Error(d.dag + ": " + await apiError(rr));
          return rr.json();
        }));
        if (!sections.size) root.replaceChildren();
        dags.forEach((d, i) => renderDAG(d, runs[i]));
        if (!dags.length) root.replaceChildren(empty("No DAGs."));
        setStatus("live");
        const meta = document.getElementById("meta");
        if (meta) meta.textContent = "updated " + fmtTime(Date.now()) + " · refreshes every 2 s" + (writable ? "" : " · read-only (set web.token to trigger runs)");
        countUpdate();
      } catch (e) {
        setStatus("reconnecting");
        showError("Could not load runs: " + e.message);
      } finally {
        busy = false;
      }
    }
    async function loop() {
      await refresh();
      setTimeout(loop, 2000);
    }
    setStatus("connecting");
    loop();
  }

  // ---------------------------------------------------------------- boot
  function boot() {
    const page = document.body.dataset.page;
    if (page === "dashboard") dashboardPage();
    else if (page === "pipeline") pipelinePage();
    else if (page === "topics") topicsPage();
    else if (page === "runs") runsPage();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();