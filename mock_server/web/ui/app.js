// juhe-mock's dashboard: a page over the admin API, polled once a second.
// Everything from the server goes into the page as text (textContent, attributes of
// numbers): never as HTML. The codes' words come from GET /__admin/catalogue, so this
// file holds no list of codes. The journal holds fingerprints and hashes only, and so
// does the page.
"use strict";

(function () {
  const BASE = new URL("./", window.location.href); // /__admin/
  const POLL_MS = 1000;
  const SCENARIO_POLL_MS = 3000;
  const MAX_ROWS = 200;
  const TOKEN_SLOT = "juhe-mock-admin-token";

  const state = {
    token: sessionStorage.getItem(TOKEN_SLOT) || "",
    live: true,
    catalogue: null,
    entries: [],
    journalText: null,
    usage: null,
    selected: null,
    scenarioText: null,
    lastScenarioPoll: 0,
    blocked: false,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  // --- the admin API --------------------------------------------------------------------

  class Refused extends Error {}

  async function admin(path, options) {
    const opts = Object.assign({ cache: "no-store", credentials: "same-origin" }, options);
    const headers = new Headers(opts.headers || {});
    if (state.token) headers.set("Authorization", "Bearer " + state.token);
    opts.headers = headers;
    const response = await fetch(new URL(path, BASE), opts);
    if (response.status === 401) {
      askForToken(state.token ? "That token was refused. " : "");
      throw new Refused("unauthorized");
    }
    if (response.status === 403 || response.status === 409) {
      const body = await response.json().catch(() => ({}));
      notice(body.message || "the admin API refused: HTTP " + response.status);
      throw new Refused("refused");
    }
    return response;
  }

  async function adminJson(path, options) {
    const response = await admin(path, options);
    return { status: response.status, body: await response.json() };
  }

  function notice(text) {
    const box = $("notice");
    box.textContent = text;
    box.hidden = !text;
  }

  function askForToken(prefix) {
    state.blocked = true;
    const form = $("token-form");
    form.hidden = false;
    form.querySelector("label").firstChild.textContent =
      prefix + "This mock has an admin token. Enter it to use the dashboard " +
      "(it is kept in this tab only and sent as a header, never in a URL):";
    $("token").focus();
  }

  // --- words from the catalogue ---------------------------------------------------------

  function indexCatalogue(doc) {
    return {
      path: doc.path,
      success: doc.success,
      tenure: new Map(doc.tenure.map((t) => [t.code, t])),
      errors: new Map(doc.errors.map((e) => [e.error_code, e])),
    };
  }

  // An outcome as one filterable key and its words: "0/5", "10012", "fault:drop".
  function outcomeOf(entry) {
    const out = entry.outcome || {};
    const cat = state.catalogue;
    if (out.error_code === null || out.error_code === undefined) {
      return { key: "fault:" + (out.fault || "none"), code: "—", words: "no answer: " + (out.fault || "?"), kind: "fault" };
    }
    if (out.error_code === 0) {
      const tenure = cat && cat.tenure.get(out.code);
      return {
        key: "0/" + out.code,
        code: "0 · " + out.code,
        words: tenure ? tenure.words : (cat ? cat.success.words : ""),
        kind: "ok",
      };
    }
    const error = cat && cat.errors.get(out.error_code);
    return {
      key: String(out.error_code),
      code: String(out.error_code),
      words: error ? error.words : "",
      kind: error ? error.kind : "error",
    };
  }

  // --- requests -------------------------------------------------------------------------

  // The columns, in order. A column with `optional` shows only once an entry carries its
  // field: the proxy mode's `upstream` (paid, cached, refused) is one.
  const COLUMNS = [
    { title: "time", cell: (e) => (e.time || "").slice(11, 23), cls: "mono" },
    { title: "method", cell: (e) => e.method },
    { title: "key", cell: (e) => e.key || "—", cls: "mono", hint: "the key's fingerprint" },
    { title: "mobile", cell: (e) => (e.mobile ? e.mobile.slice(0, 10) + "…" : "—"), cls: "mono", hint: "the number's sha256, its first 10 digits" },
    { title: "outcome", cell: null, render: outcomeCell },
    { title: "billed", cell: (e) => (e.billable ? "✓" : ""), cls: "center" },
    { title: "upstream", cell: (e) => e.upstream || "", optional: "upstream" },
    { title: "rule / step", cell: null, render: ruleCell },
    { title: "latency", cell: (e) => (typeof e.latency_ms === "number" ? e.latency_ms.toFixed(1) + " ms" : ""), cls: "num" },
    { title: "fault", cell: (e) => (e.outcome && e.outcome.fault) || "", cls: "fault" },
  ];

  function visibleColumns() {
    return COLUMNS.filter((c) => !c.optional || state.entries.some((e) => e[c.optional] !== undefined));
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

  function outcomeCell(entry) {
    const td = el("td", null, "outcome");
    const outcome = outcomeOf(entry);
    td.appendChild(el("span", outcome.code, "badge " + outcome.kind));
    td.appendChild(el("span", outcome.words, "words"));
    return td;
  }

  function filters() {
    return { key: $("filter-key").value, code: $("filter-code").value, rule: $("filter-rule").value };
  }

  function matches(entry, f) {
    if (f.key && (entry.key || "(none)") !== f.key) return false;
    if (f.code && outcomeOf(entry).key !== f.code) return false;
    if (f.rule && (entry.rule || "(none)") !== f.rule) return false;
    return true;
  }

  function fillSelect(select, values, label) {
    const chosen = select.value;
    const wanted = ["", ...values];
    if (chosen && !wanted.includes(chosen)) wanted.push(chosen);
    select.replaceChildren();
    for (const value of wanted) {
      const option = el("option", value ? label(value) : "all");
      option.value = value;
      select.appendChild(option);
    }
    select.value = chosen;
  }

  function refreshFilters() {
    const keys = new Set(), codes = new Map(), rules = new Set();
    for (const e of state.entries) {
      keys.add(e.key || "(none)");
      const o = outcomeOf(e);
      codes.set(o.key, o);
      rules.add(e.rule || "(none)");
    }
    fillSelect($("filter-key"), [...keys].sort(), (v) => v);
    fillSelect($("filter-code"), [...codes.keys()].sort(), (v) => {
      const o = codes.get(v);
      return o ? o.code + " " + o.words : v;
    });
    fillSelect($("filter-rule"), [...rules].sort(), (v) => v);
  }

  function renderJournal() {
    const columns = visibleColumns();
    const head = $("journal-head");
    head.replaceChildren(...columns.map((c) => {
      const th = el("th", c.title);
      if (c.hint) th.title = c.hint;
      return th;
    }));
    const f = filters();
    const shown = [];
    for (let i = state.entries.length - 1; i >= 0 && shown.length < MAX_ROWS; i--) {
      if (matches(state.entries[i], f)) shown.push(state.entries[i]);
    }
    const body = $("journal-rows");
    body.replaceChildren(...shown.map((entry) => {
      const tr = document.createElement("tr");
      tr.tabIndex = 0;
      if (entry.billable) tr.classList.add("billed");
      if (state.selected === entry) tr.classList.add("selected");
      for (const c of columns) {
        tr.appendChild(c.cell ? el("td", c.cell(entry), c.cls) : c.render(entry));
      }
      tr.addEventListener("click", () => showDetail(entry));
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") showDetail(entry); });
      return tr;
    }));
    const total = state.entries.length;
    $("journal-empty").hidden = total > 0;
    if (state.catalogue) {
      $("journal-hint").textContent = "Send one to " + window.location.origin + state.catalogue.path;
    }
    $("request-count").textContent = total === 0 ? "" :
      (shown.length < total ? "showing " + shown.length + " of " + total : total + " in the journal") +
      ", newest first";
  }

  function showDetail(entry) {
    state.selected = entry;
    const outcome = outcomeOf(entry);
    const words = $("detail-words");
    words.replaceChildren();
    const add = (term, value) => { words.appendChild(el("dt", term)); words.appendChild(el("dd", value)); };
    add("outcome", outcome.code + " " + outcome.words);
    const error = state.catalogue && state.catalogue.errors.get(entry.outcome && entry.outcome.error_code);
    if (error) add("meaning", error.english + " (retry: " + error.retry + ")");
    add("billed", entry.billable ? "yes: the live API would bill this call" : "no");
    $("detail-json").textContent = JSON.stringify(entry, null, 2);
    $("detail").hidden = false;
    renderJournal();
  }

  // --- spend ----------------------------------------------------------------------------

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

  function renderSpend() {
    const usage = state.usage || { billable: 0, by_key: {}, by_code: {} };
    const billable = usage.billable || 0;
    $("billable-total").textContent = billable;
    $("free-total").textContent = state.entries.filter((e) => !e.billable).length;
    $("would-cost").textContent = "Against the live API this would have cost " + billable +
      (billable === 1 ? " call." : " calls.");
    const byKey = Object.entries(usage.by_key || {}).sort((a, b) => b[1] - a[1]);
    miniTable("by-key", byKey.map(([fp, n]) => [fp, n, "the key's fingerprint"]));
    const cat = state.catalogue;
    const byCode = Object.entries(usage.by_code || {}).sort();
    miniTable("by-code", byCode.map(([code, n]) => {
      const tenure = cat && cat.tenure.get(code);
      return [code + (tenure ? " " + tenure.words : ""), n, tenure ? tenure.english : ""];
    }));
    // The proxy mode's counters (paid, cached, refused), once the usage carries them.
    const upstream = $("upstream");
    upstream.hidden = !usage.upstream;
    if (usage.upstream) {
      upstream.replaceChildren(...Object.entries(usage.upstream).map(([name, n]) => {
        const box = el("div", null, "total");
        box.appendChild(el("span", n, "number"));
        box.appendChild(el("span", name, "label"));
        return box;
      }));
    }
    drawChart();
  }

  const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];

  function clock(ms) {
    // The journal's times are Beijing time (UTC+8); so are the chart's labels.
    return new Date(ms + 8 * 3600 * 1000).toISOString().slice(11, 19);
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function drawChart() {
    const chart = $("chart");
    chart.replaceChildren();
    const times = state.entries.map((e) => Date.parse(e.time)).filter((t) => !Number.isNaN(t));
    if (times.length === 0) {
      chart.appendChild(svg("text", { x: 240, y: 80, "text-anchor": "middle", class: "axis" }, "no requests yet"));
      $("chart-title").textContent = "calls per interval";
      return;
    }
    const first = Math.min(...times), last = Math.max(...times);
    const span = (last - first) / 1000;
    const step = STEPS.find((s) => span / s <= 30) || STEPS[STEPS.length - 1];
    const start = Math.floor(first / 1000 / step) * step * 1000;
    const count = Math.floor((last - start) / 1000 / step) + 1;
    const billed = new Array(count).fill(0), free = new Array(count).fill(0);
    state.entries.forEach((e) => {
      const t = Date.parse(e.time);
      if (Number.isNaN(t)) return;
      const i = Math.min(count - 1, Math.floor((t - start) / 1000 / step));
      (e.billable ? billed : free)[i] += 1;
    });
    const top = Math.max(1, ...billed.map((b, i) => b + free[i]));
    const left = 34, right = 470, height = 110, base = 120;
    const width = (right - left) / Math.max(count, 8);
    chart.appendChild(svg("line", { x1: left, y1: base, x2: right, y2: base, class: "axis-line" }));
    chart.appendChild(svg("text", { x: left - 6, y: base - height + 4, "text-anchor": "end", class: "axis" }, top));
    chart.appendChild(svg("text", { x: left - 6, y: base + 4, "text-anchor": "end", class: "axis" }, 0));
    for (let i = 0; i < count; i++) {
      const x = left + i * width + 1;
      const hb = (billed[i] / top) * height, hf = (free[i] / top) * height;
      const label = clock(start + i * step * 1000) + ": " + billed[i] + " billed, " + free[i] + " not";
      const group = svg("g", {});
      group.appendChild(svg("title", {}, label));
      if (hf > 0) group.appendChild(svg("rect", { x, y: base - hf, width: Math.max(1, width - 2), height: hf, class: "bar-free" }));
      if (hb > 0) group.appendChild(svg("rect", { x, y: base - hf - hb, width: Math.max(1, width - 2), height: hb, class: "bar-billed" }));
      chart.appendChild(group);
    }
    chart.appendChild(svg("text", { x: left, y: base + 16, class: "axis" }, clock(start)));
    chart.appendChild(svg("text", { x: right, y: base + 16, "text-anchor": "end", class: "axis" }, clock(last)));
    const legend = svg("g", { class: "legend" });
    legend.appendChild(svg("rect", { x: right - 150, y: 2, width: 9, height: 9, class: "bar-billed" }));
    legend.appendChild(svg("text", { x: right - 137, y: 10, class: "axis" }, "billed"));
    legend.appendChild(svg("rect", { x: right - 90, y: 2, width: 9, height: 9, class: "bar-free" }));
    legend.appendChild(svg("text", { x: right - 77, y: 10, class: "axis" }, "not billed"));
    chart.appendChild(legend);
    $("chart-title").textContent = "calls per " + (step < 60 ? step + " s" : step / 60 + " min") +
      ", Beijing time (the journal's last " + state.entries.length + " requests)";
  }

  // --- scenario -------------------------------------------------------------------------

  function status(text, kind) {
    const box = $("scenario-status");
    box.textContent = text;
    box.className = "status " + (kind || "");
  }

  // Whether the editor holds text that differs from the scenario in force (read from the
  // editor itself, so that a poll never overwrites an edit, however it was made).
  function dirty() {
    return state.scenarioText !== null && $("editor").value !== state.scenarioText;
  }

  async function loadScenario(force) {
    if (!force && dirty()) return;
    const response = await admin("scenarios?format=yaml");
    const text = await response.text();
    state.lastScenarioPoll = Date.now();
    if (!force && dirty()) return; // edited while the answer was on its way
    state.scenarioText = text;
    if ($("editor").value !== text) $("editor").value = text;
    $("editor").classList.remove("dirty");
  }

  async function put(text, what) {
    const { status: code, body } = await adminJson("scenarios", {
      method: "PUT", body: text, headers: { "Content-Type": "application/yaml" },
    });
    if (code === 200) {
      status(what + " applied: " + body.rules + (body.rules === 1 ? " rule" : " rules") + " in force.", "ok");
      await loadScenario(true);
      return true;
    }
    status("Not applied (the scenario in force is unchanged): editor: " + (body.message || "HTTP " + code), "bad");
    return false;
  }

  async function loadNamed() {
    const { body } = await adminJson("scenarios/named");
    const box = $("named");
    box.replaceChildren();
    if (!body.scenarios.length) {
      box.appendChild(el("span", "no named scenarios in this installation", "muted"));
      return;
    }
    box.appendChild(el("span", "named:", "muted"));
    for (const scenario of body.scenarios) {
      const button = el("button", scenario.name, "chip");
      button.type = "button";
      button.title = scenario.summary;
      button.dataset.name = scenario.name;
      button.addEventListener("click", () => put(scenario.text, scenario.name).catch(report));
      box.appendChild(button);
    }
  }

  // --- polling --------------------------------------------------------------------------

  function report(error) {
    if (error instanceof Refused) return;
    $("health").textContent = "the mock does not answer (" + error.message + ")";
    $("health").className = "health down";
  }

  async function poll() {
    if (state.blocked) return;
    const [health, journal, usage] = await Promise.all([
      adminJson("health"), admin("requests"), adminJson("usage"),
    ]);
    notice("");
    $("health").textContent = "up " + Math.round(health.body.uptime_s) + " s";
    $("health").className = "health up";
    $("scenario-rules").textContent = health.body.rules + (health.body.rules === 1 ? " rule" : " rules") + " in force";
    const text = await journal.text();
    const changed = text !== state.journalText || JSON.stringify(usage.body) !== JSON.stringify(state.usage);
    state.journalText = text;
    state.entries = JSON.parse(text).requests;
    state.usage = usage.body;
    if (changed) {
      if (state.selected && !state.entries.includes(state.selected)) state.selected = null;
      refreshFilters();
      renderJournal();
      renderSpend();
    }
    if (Date.now() - state.lastScenarioPoll > SCENARIO_POLL_MS) await loadScenario(false);
  }

  async function start() {
    try {
      state.catalogue = indexCatalogue((await adminJson("catalogue")).body);
      state.blocked = false;
      $("token-form").hidden = true;
      await Promise.all([poll(), loadScenario(true), loadNamed()]);
    } catch (error) {
      report(error);
    }
  }

  function tick() {
    if (state.live && state.catalogue && !document.hidden) poll().catch(report);
    window.setTimeout(tick, POLL_MS);
  }

  function wire() {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      state.token = $("token").value;
      $("token").value = "";
      sessionStorage.setItem(TOKEN_SLOT, state.token);
      start();
    });
    $("live").addEventListener("click", () => {
      state.live = !state.live;
      $("live").textContent = state.live ? "● live" : "❚❚ paused";
      $("live").setAttribute("aria-pressed", String(state.live));
    });
    for (const id of ["filter-key", "filter-code", "filter-rule"]) $(id).addEventListener("change", renderJournal);
    $("filter-clear").addEventListener("click", () => {
      for (const id of ["filter-key", "filter-code", "filter-rule"]) $(id).value = "";
      renderJournal();
    });
    $("journal-clear").addEventListener("click", () => admin("requests", { method: "DELETE" }).then(poll).catch(report));
    $("detail-close").addEventListener("click", () => { $("detail").hidden = true; state.selected = null; renderJournal(); });
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") $("detail-close").click(); });
    $("editor").addEventListener("input", () => $("editor").classList.toggle("dirty", dirty()));
    $("apply").addEventListener("click", () => put($("editor").value, "Edit").catch(report));
    $("revert").addEventListener("click", () => { status(""); loadScenario(true).catch(report); });
    $("reset").addEventListener("click", async () => {
      try {
        await admin("reset", { method: "POST" });
        status("Reset: back to the loaded scenarios; counters, journal and ledger cleared.", "ok");
        await Promise.all([poll(), loadScenario(true)]);
      } catch (error) {
        report(error);
      }
    });
  }

  wire();
  start().then(() => window.setTimeout(tick, POLL_MS));
})();
