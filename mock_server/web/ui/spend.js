// The Spend card: billable calls (the ledger, GET /__admin/usage) in total, by key and by
// code, what the live API would have billed, and the journal's calls over time as bars.

import { $, el, svg } from "./dom.js";

function miniTable(id, rows) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren(...(rows.length ? rows : [["—", ""]]).map(([name, n, hint]) => {
    const tr = document.createElement("tr");
    const th = el("th", name, "mono");
    if (hint) th.title = hint;
    tr.appendChild(th);
    tr.appendChild(el("td", n, "num"));
    return tr;
  }));
}

export function renderSpend(usage, entries, cat) {
  const billable = usage.billable || 0;
  $("billable-total").textContent = billable;
  $("free-total").textContent = entries.filter((e) => !e.billable).length;
  $("would-cost").textContent = "Against the live API this would have cost " + billable +
    (billable === 1 ? " call." : " calls.");
  const byKey = Object.entries(usage.by_key || {}).sort((a, b) => b[1] - a[1]);
  miniTable("by-key", byKey.map(([fp, n]) => [fp, n, "the key's fingerprint"]));
  const byCode = Object.entries(usage.by_code || {}).sort();
  miniTable("by-code", byCode.map(([code, n]) => {
    const tenure = cat && cat.tenure.get(code);
    return [code + (tenure ? " " + tenure.words : ""), n, tenure ? tenure.english : ""];
  }));
  // The proxy mode's counters (paid, cached, refused, ...) and its budget, once the usage
  // carries them (juhe-mock --upstream, docs/proxy.md).
  const upstream = $("upstream");
  upstream.hidden = !usage.upstream;
  if (usage.upstream) {
    const box = (number, label, hint) => {
      const total = el("div", null, "total");
      if (hint) total.title = hint;
      total.appendChild(el("span", number, "number"));
      total.appendChild(el("span", label, "label"));
      return total;
    };
    const boxes = Object.entries(usage.upstream).map(([name, n]) => box(n, name));
    const budget = usage.budget || {};
    for (const [period, label] of [["day", "spent today"], ["month", "spent this month"]]) {
      const b = budget[period];
      if (!b) continue;
      const cap = b.cap === null ? "" : " / " + b.cap;
      boxes.push(box(b.spent + cap, label, "the proxy's budget (" + budget.where + ")"));
    }
    upstream.replaceChildren(...boxes);
  }
  drawChart(entries);
}

// Bar widths in seconds; the first that gives at most BARS bars is used.
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];
const BARS = 30;

function clock(ms) {
  // The journal's times are Beijing time (UTC+8); so are the chart's labels.
  return new Date(ms + 8 * 3600 * 1000).toISOString().slice(11, 19);
}

function buckets(entries, times) {
  const known = times.filter((t) => !Number.isNaN(t));
  const first = Math.min(...known), last = Math.max(...known);
  const span = (last - first) / 1000;
  const step = STEPS.find((s) => span / s <= BARS) || STEPS[STEPS.length - 1];
  const start = Math.floor(first / 1000 / step) * step * 1000;
  const count = Math.floor((last - start) / 1000 / step) + 1;
  const billed = new Array(count).fill(0), free = new Array(count).fill(0);
  entries.forEach((e, i) => {
    if (Number.isNaN(times[i])) return;
    const at = Math.min(count - 1, Math.floor((times[i] - start) / 1000 / step));
    (e.billable ? billed : free)[at] += 1;
  });
  return { step, start, count, billed, free };
}

function drawChart(entries) {
  const chart = $("chart");
  chart.replaceChildren();
  const times = entries.map((e) => Date.parse(e.time));
  if (!times.some((t) => !Number.isNaN(t))) {
    chart.appendChild(svg("text", { x: 240, y: 70, "text-anchor": "middle", class: "axis" }, "no requests yet"));
    $("chart-title").textContent = "calls over time";
    return;
  }
  const { step, start, count, billed, free } = buckets(entries, times);
  const top = Math.max(1, ...billed.map((b, i) => b + free[i]));
  const left = 34, right = 470, height = 100, base = 118;
  const width = (right - left) / Math.max(count, 12);
  const axis = (x, y, text, anchor) => svg("text", { x, y, "text-anchor": anchor || "start", class: "axis" }, text);
  chart.appendChild(svg("line", { x1: left, y1: base, x2: right, y2: base, class: "axis-line" }));
  chart.appendChild(axis(left - 6, base - height + 4, top, "end"));
  chart.appendChild(axis(left - 6, base + 4, 0, "end"));
  for (let i = 0; i < count; i++) {
    const x = left + i * width + 1, w = Math.max(1, width - 2);
    const hb = (billed[i] / top) * height, hf = (free[i] / top) * height;
    const group = svg("g", {});
    group.appendChild(svg("title", {}, clock(start + i * step * 1000) + ": " + billed[i] + " billed, " + free[i] + " not"));
    if (hf > 0) group.appendChild(svg("rect", { x, y: base - hf, width: w, height: hf, class: "bar-free" }));
    if (hb > 0) group.appendChild(svg("rect", { x, y: base - hf - hb, width: w, height: hb, class: "bar-billed" }));
    chart.appendChild(group);
  }
  chart.appendChild(axis(left, base + 15, clock(start)));
  if (count > 3) chart.appendChild(axis(left + count * width, base + 15, clock(start + count * step * 1000), "end"));
  const legend = svg("g", { class: "legend" });
  legend.appendChild(svg("rect", { x: right - 150, y: 2, width: 9, height: 9, class: "bar-billed" }));
  legend.appendChild(axis(right - 137, 10, "billed"));
  legend.appendChild(svg("rect", { x: right - 90, y: 2, width: 9, height: 9, class: "bar-free" }));
  legend.appendChild(axis(right - 77, 10, "not billed"));
  chart.appendChild(legend);
  $("chart-title").textContent = "calls per " + (step < 60 ? step + " s" : step / 60 + " min") +
    ", Beijing time (the journal's last " + entries.length + " requests)";
}
