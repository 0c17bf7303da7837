// The Requests card: the journal newest first, its filters, and one entry in full.
// Outcomes are labelled with the catalogue's words (GET /__admin/catalogue).

import { $, el } from "./dom.js";

const MAX_ROWS = 200;

export function indexCatalogue(doc) {
  return {
    path: doc.path,
    success: doc.success,
    tenure: new Map(doc.tenure.map((t) => [t.code, t])),
    errors: new Map(doc.errors.map((e) => [e.error_code, e])),
  };
}

// An outcome as one filterable key ("0/" + tenure, the error code, "fault:" + kind) and
// the catalogue's words for it.
export function outcomeOf(entry, cat) {
  const out = entry.outcome || {};
  if (out.error_code === null || out.error_code === undefined) {
    const fault = out.fault || "none";
    return { key: "fault:" + fault, code: "—", words: "no answer: " + fault, kind: "fault" };
  }
  if (out.error_code === 0) {
    const tenure = cat && cat.tenure.get(out.code);
    const words = tenure ? tenure.words : cat ? cat.success.words : "";
    return { key: "0/" + out.code, code: "0 · " + out.code, words, kind: "ok" };
  }
  const error = cat && cat.errors.get(out.error_code);
  return {
    key: String(out.error_code),
    code: String(out.error_code),
    words: error ? error.words : "",
    kind: error ? error.kind : "error",
  };
}

function ruleCell(entry) {
  const td = el("td", null, "rule");
  if (entry.rule) {
    td.appendChild(el("span", entry.rule, "name"));
    td.appendChild(document.createTextNode(" · "));
  }
  td.appendChild(document.createTextNode(entry.step || ""));
  return td;
}

function outcomeCell(entry, cat) {
  const td = el("td", null, "outcome");
  const outcome = outcomeOf(entry, cat);
  td.appendChild(el("span", outcome.code, "badge " + outcome.kind));
  td.appendChild(el("span", outcome.words, "words"));
  return td;
}

const latency = (e) => (typeof e.latency_ms === "number" ? e.latency_ms.toFixed(1) + " ms" : "");

// The columns, in order: `text` makes a cell's text, `render` the cell itself. A column
// with `optional` shows only once an entry carries that field: the proxy mode's
// `upstream` (paid, cached, refused) is one.
const COLUMNS = [
  { title: "time", text: (e) => (e.time || "").slice(11, 23), cls: "mono" },
  { title: "method", text: (e) => e.method },
  { title: "key", text: (e) => e.key || "—", cls: "mono", hint: "the key's fingerprint" },
  {
    title: "mobile", cls: "mono", hint: "the number's sha256, its first 10 digits",
    text: (e) => (e.mobile ? e.mobile.slice(0, 10) + "…" : "—"),
  },
  { title: "outcome", render: outcomeCell },
  { title: "billed", text: (e) => (e.billable ? "✓" : ""), cls: "center" },
  { title: "upstream", text: (e) => e.upstream || "", optional: "upstream" },
  { title: "rule / step", render: ruleCell },
  { title: "latency", text: latency, cls: "num" },
  { title: "fault", text: (e) => (e.outcome && e.outcome.fault) || "", cls: "fault" },
];

const FILTERS = { key: "filter-key", code: "filter-code", rule: "filter-rule" };

function filterValues(entry, cat) {
  return { key: entry.key || "(none)", code: outcomeOf(entry, cat).key, rule: entry.rule || "(none)" };
}

function fillSelect(select, options) {
  const chosen = select.value;
  const wanted = new Map([["", "all"], ...options]);
  if (chosen && !wanted.has(chosen)) wanted.set(chosen, chosen);
  select.replaceChildren();
  for (const [value, label] of wanted) {
    const option = el("option", label);
    option.value = value;
    select.appendChild(option);
  }
  select.value = chosen;
}

export function refreshFilters(entries, cat) {
  const seen = { key: new Map(), code: new Map(), rule: new Map() };
  for (const entry of entries) {
    const values = filterValues(entry, cat);
    seen.key.set(values.key, values.key);
    const o = outcomeOf(entry, cat);
    seen.code.set(values.code, o.code + " " + o.words);
    seen.rule.set(values.rule, values.rule);
  }
  for (const [name, id] of Object.entries(FILTERS)) {
    fillSelect($(id), [...seen[name]].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }
}

export function clearFilters() {
  for (const id of Object.values(FILTERS)) $(id).value = "";
}

export function filterIds() {
  return Object.values(FILTERS);
}

export function renderJournal(view) {
  const { entries, catalogue: cat } = view;
  const columns = COLUMNS.filter((c) => !c.optional || entries.some((e) => e[c.optional] !== undefined));
  $("journal-head").replaceChildren(...columns.map((c) => {
    const th = el("th", c.title);
    if (c.hint) th.title = c.hint;
    return th;
  }));
  const wanted = Object.fromEntries(Object.entries(FILTERS).map(([name, id]) => [name, $(id).value]));
  const shown = [];
  for (let i = entries.length - 1; i >= 0 && shown.length < MAX_ROWS; i--) {
    const values = filterValues(entries[i], cat);
    if (Object.keys(FILTERS).every((name) => !wanted[name] || wanted[name] === values[name])) {
      shown.push(entries[i]);
    }
  }
  $("journal-rows").replaceChildren(...shown.map((entry) => {
    const tr = document.createElement("tr");
    tr.tabIndex = 0;
    if (entry.billable) tr.classList.add("billed");
    if (view.selected === entry) tr.classList.add("selected");
    for (const c of columns) tr.appendChild(c.text ? el("td", c.text(entry), c.cls) : c.render(entry, cat));
    tr.addEventListener("click", () => view.select(entry));
    tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") view.select(entry); });
    return tr;
  }));
  const total = entries.length;
  $("journal-empty").hidden = total > 0;
  if (cat) $("journal-hint").textContent = "Send one to " + window.location.origin + cat.path;
  $("request-count").textContent = total === 0 ? "" :
    (shown.length < total ? "showing " + shown.length + " of " + total : total + " in the journal") +
    ", newest first";
}

export function showDetail(entry, cat) {
  const outcome = outcomeOf(entry, cat);
  const words = $("detail-words");
  words.replaceChildren();
  const add = (term, value) => { words.appendChild(el("dt", term)); words.appendChild(el("dd", value)); };
  add("outcome", outcome.code + " " + outcome.words);
  const error = cat && cat.errors.get(entry.outcome && entry.outcome.error_code);
  if (error) add("meaning", error.english + " (retry: " + error.retry + ")");
  add("billed", entry.billable ? "yes: the live API would bill this call" : "no");
  $("detail-json").textContent = JSON.stringify(entry, null, 2);
  $("detail").hidden = false;
}
