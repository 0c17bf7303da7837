// juhe-mock's dashboard: a page over the admin API, polled once a second.
// Everything from the server goes into the page as text (dom.js), never as HTML. The
// codes' words come from GET /__admin/catalogue, so no file here lists codes. The
// journal holds fingerprints and hashes only, and so does the page.

import { $, el } from "./dom.js";
import { Refused, admin, adminJson, notice, session, useToken } from "./api.js";
import {
  clearFilters, filterIds, indexCatalogue, refreshFilters, renderJournal, showDetail,
} from "./journal.js";
import { renderSpend } from "./spend.js";

const POLL_MS = 1000;
const SCENARIO_POLL_MS = 3000;

const view = {
  live: true,
  catalogue: null,
  entries: [],
  usage: { billable: 0, by_key: {}, by_code: {} },
  journalText: null, // the answers as last drawn: nothing is drawn again until they change
  usageText: null,
  selected: null,
  scenarioText: null,
  lastScenarioPoll: 0,
  select(entry) {
    view.selected = entry;
    showDetail(entry, view.catalogue);
    renderJournal(view);
  },
};

// --- scenario ---------------------------------------------------------------------------

function status(text, kind) {
  const box = $("scenario-status");
  box.textContent = text;
  box.className = "status " + (kind || "");
}

// Whether the editor holds text that differs from the scenario in force (read from the
// editor itself, so that a poll never overwrites an edit, however it was made).
function dirty() {
  return view.scenarioText !== null && $("editor").value !== view.scenarioText;
}

async function loadScenario(force) {
  if (!force && dirty()) return;
  const response = await admin("scenarios?format=yaml");
  const text = await response.text();
  view.lastScenarioPoll = Date.now();
  if (!force && dirty()) return; // edited while the answer was on its way
  view.scenarioText = text;
  if ($("editor").value !== text) $("editor").value = text;
  $("editor").classList.remove("dirty");
}

async function put(text, what) {
  const { status: code, body } = await adminJson("scenarios", {
    method: "PUT", body: text, headers: { "Content-Type": "application/yaml" },
  });
  if (code === 200) {
    const rules = body.rules + (body.rules === 1 ? " rule" : " rules");
    status(what + " applied: " + rules + " in force.", "ok");
    await loadScenario(true);
    return;
  }
  // The validator's words: where (a JSON path, or a line and column) and why.
  const why = body.message || "HTTP " + code;
  status("Not applied (the scenario in force is unchanged):\neditor: " + why, "bad");
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

// --- polling ----------------------------------------------------------------------------

function report(error) {
  if (error instanceof Refused) return;
  $("health").textContent = "the mock does not answer (" + error.message + ")";
  $("health").className = "health down";
}

async function poll() {
  if (session.blocked) return;
  const [health, journal, usage] = await Promise.all([
    adminJson("health"), admin("requests"), admin("usage"),
  ]);
  notice("");
  $("health").textContent = "up " + Math.round(health.body.uptime_s) + " s";
  $("health").className = "health up";
  const rules = health.body.rules;
  $("scenario-rules").textContent = rules + (rules === 1 ? " rule" : " rules") + " in force";
  const journalText = await journal.text();
  const usageText = await usage.text();
  if (journalText !== view.journalText || usageText !== view.usageText) {
    Object.assign(view, { journalText, usageText });
    view.entries = JSON.parse(journalText).requests;
    view.usage = JSON.parse(usageText);
    if (!view.entries.includes(view.selected)) view.selected = null;
    refreshFilters(view.entries, view.catalogue);
    renderJournal(view);
    renderSpend(view.usage, view.entries, view.catalogue);
  }
  if (Date.now() - view.lastScenarioPoll > SCENARIO_POLL_MS) await loadScenario(false);
}

async function start() {
  try {
    view.catalogue = indexCatalogue((await adminJson("catalogue")).body);
    session.blocked = false;
    $("token-form").hidden = true;
    await Promise.all([poll(), loadScenario(true), loadNamed()]);
  } catch (error) {
    report(error);
  }
}

function tick() {
  if (view.live && view.catalogue && !document.hidden) poll().catch(report);
  window.setTimeout(tick, POLL_MS);
}

function wire() {
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useToken($("token").value);
    $("token").value = "";
    start();
  });
  $("live").addEventListener("click", () => {
    view.live = !view.live;
    $("live").textContent = view.live ? "● live" : "❚❚ paused";
    $("live").setAttribute("aria-pressed", String(view.live));
  });
  for (const id of filterIds()) $(id).addEventListener("change", () => renderJournal(view));
  $("filter-clear").addEventListener("click", () => { clearFilters(); renderJournal(view); });
  $("journal-clear").addEventListener("click", () => {
    admin("requests", { method: "DELETE" }).then(poll).catch(report);
  });
  $("detail-close").addEventListener("click", () => {
    $("detail").hidden = true;
    view.selected = null;
    renderJournal(view);
  });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") $("detail-close").click(); });
  $("editor").addEventListener("input", () => $("editor").classList.toggle("dirty", dirty()));
  $("editor").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("apply").click(); // Ctrl+Enter applies
  });
  $("apply").addEventListener("click", () => put($("editor").value, "Edit").catch(report));
  $("revert").addEventListener("click", () => { status(""); loadScenario(true).catch(report); });
  $("reset").addEventListener("click", async () => {
    try {
      await admin("reset", { method: "POST" });
      status("Reset: back to the loaded scenarios; counters, quotas, journal and ledger cleared.", "ok");
      await Promise.all([poll(), loadScenario(true)]);
    } catch (error) {
      report(error);
    }
  });
}

wire();
start().then(() => window.setTimeout(tick, POLL_MS));
