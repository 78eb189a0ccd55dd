// The emulator's dashboard: renders the state the page came with (#first-state, the
// control API's answers put in by the server), then polls the JSON control API and
// renders what it answers.
//
// Every piece of data goes into the page through textContent (or a data-*
// attribute), never parsed as HTML: journal paths and reasons quote whatever a
// client sent, hostile input included. URLs are relative to the page
// (/_emulator/), so the page also works behind a path prefix.
"use strict";

(() => {
  const FAST_MS = 1000; // journal and clock
  const SLOW_MS = 3000; // faults and vendor states
  const JOURNAL_LIMIT = 200;
  const STATUS_FILTER = /^[1-5]([0-9]{2}|xx)$/i; // as the journal's own check
  const ANY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

  const $ = (id) => document.getElementById(id);
  let locked = false; // an admin token is required: stop polling, show the login form
  let vendors = []; // [{id, title, prefix, credentials}]
  let routes = null; // GET /_emulator/routes' vendors, once it answered
  const seen = new Map(); // last rendered JSON per area, to re-render only on change

  class ApiError extends Error {
    constructor(status, message, problems) {
      super(message);
      this.status = status;
      this.problems = problems || [];
    }
    describe() {
      return this.status ? `${this.status} ${this.message}` : this.message;
    }
  }

  // Where this page's world is: the server's root, or /worlds/{name}/ under it. The
  // page at /worlds/{name}/_emulator/ is that world's dashboard: every call it makes
  // is relative, so it reads and changes that world alone.
  const worldRoot = new URL("../", document.baseURI);
  const inWorld = worldRoot.pathname.match(/^(.*\/)worlds\/([a-z0-9][a-z0-9-]{0,62})\/$/);
  const serverRoot = inWorld ? new URL(inWorld[1], worldRoot) : worldRoot;
  const worldName = inWorld ? inWorld[2] : "default";

  function dashboardOf(name) {
    const path = name === "default" ? "_emulator/" : `worlds/${encodeURIComponent(name)}/_emulator/`;
    return new URL(path, serverRoot).href;
  }

  async function api(path, { method = "GET", body, atServer = false } = {}) {
    const init = { method, headers: { accept: "application/json" }, cache: "no-store" };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      // Same-origin fetch sends the emulator_admin cookie when there is one.
      const base = atServer ? new URL("_emulator/", serverRoot) : document.baseURI;
      response = await fetch(new URL(path, base), init);
    } catch (error) {
      setStatus("emulator unreachable", true);
      throw new ApiError(0, `emulator unreachable (${error.message})`);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (response.status === 401) showLogin(data);
    if (!response.ok) {
      const message = data && typeof data.error === "string" ? data.error : response.statusText;
      const problems = data && Array.isArray(data.problems) ? data.problems.map(String) : [];
      throw new ApiError(response.status, message || "error", problems);
    }
    if (!locked) setStatus("live", false);
    return data;
  }

  // ---- small DOM helpers (text only) -------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function cell(row, text, className) {
    const td = el("td", className, text);
    row.append(td);
    return td;
  }

  function showError(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function setStatus(text, isError) {
    const node = $("status");
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  // Answers can arrive out of order (a poll sent before a button's call may land
  // after it): each area renders only answers to calls newer than the last rendered.
  const asked = new Map();
  const rendered = new Map();
  function ask(area) {
    const number = (asked.get(area) || 0) + 1;
    asked.set(area, number);
    return number;
  }
  function newest(area, number) {
    if (number <= (rendered.get(area) || 0)) return false;
    rendered.set(area, number);
    return true;
  }

  function changed(area, data) {
    const key = JSON.stringify(data);
    if (seen.get(area) === key) return false;
    seen.set(area, key);
    return true;
  }

  function showLogin(data) {
    if (locked) return;
    locked = true;
    $("dashboard").hidden = true;
    $("reset").hidden = true;
    $("login").hidden = false;
    const reason = data && typeof data.error === "string" ? data.error : "admin token required";
    setStatus(reason, true);
    $("login").querySelector("input").focus();
  }

  // ---- formatting ---------------------------------------------------------------------

  function formatInstant(iso, milliseconds = false) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    return date.toISOString().slice(0, milliseconds ? 23 : 19).replace("T", " ") + " UTC";
  }

  function formatDuration(seconds) {
    const sign = seconds < 0 ? "−" : "+";
    let rest = Math.round(Math.abs(seconds));
    const parts = [];
    for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]]) {
      const count = Math.floor(rest / size);
      rest -= count * size;
      if (count) parts.push(`${count} ${unit}`);
    }
    return parts.length ? sign + parts.join(" ") : "±0 s";
  }

  async function copy(text, button, selectable) {
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      // Plain http on another host than localhost has no clipboard API.
      const area = el("textarea", "offscreen");
      area.value = text;
      area.setAttribute("readonly", "");
      document.body.append(area);
      area.select();
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      area.remove();
    }
    if (!ok && selectable) window.getSelection().selectAllChildren(selectable);
    button.textContent = ok ? "copied" : "select + Ctrl+C";
    button.classList.toggle("done", ok);
    setTimeout(() => {
      button.textContent = "copy";
      button.classList.remove("done");
    }, 1500);
  }

  // ---- clock --------------------------------------------------------------------------

  function renderClock(reading) {
    const now = $("clock-now");
    now.textContent = formatInstant(reading.now);
    now.dataset.now = reading.now;
    const mode = $("clock-mode");
    mode.textContent = reading.frozen ? "frozen" : "running";
    mode.className = "badge " + (reading.frozen ? "frozen" : "running");
    $("clock-offset").textContent = `${formatDuration(reading.offset_seconds)} from real time`;
  }

  async function refreshClock() {
    const number = ask("clock");
    try {
      const reading = await api("clock");
      if (newest("clock", number)) renderClock(reading);
      showError("clock-error", "");
    } catch (error) {
      showError("clock-error", `clock unavailable: ${error.describe()}`);
    }
  }

  async function moveClock(body) {
    const number = ask("clock");
    try {
      const reading = await api("clock", { method: "POST", body });
      if (newest("clock", number)) renderClock(reading);
      showError("clock-error", "");
    } catch (error) {
      showError("clock-error", `clock: ${error.describe()}`);
    }
  }

  // ---- journal ------------------------------------------------------------------------

  function journalRow(entry) {
    const row = el("tr");
    row.dataset.status = String(entry.status);
    row.dataset.route = entry.route || "";
    const arrived = cell(row, formatInstant(entry.real_time, true), "mono");
    arrived.title = `arrived ${entry.real_time} by the machine's clock (#${entry.id})`;
    const time = cell(row, formatInstant(entry.time, true), "mono");
    time.title = `the emulator clock said ${entry.time}`;
    cell(row, entry.vendor || "—");
    cell(row, entry.route || "—", "mono");
    cell(row, entry.method, "mono");
    cell(row, entry.path, "path");
    const status = cell(row, "");
    status.append(el("span", `status s${String(entry.status)[0]}`, entry.status));
    const reason = cell(row, entry.reason || "", "reason");
    if (entry.forced) reason.append(el("span", "badge forced", "forced by a fault"));
    row.dataset.entry = String(entry.id);
    row.title = "show what was sent and answered";
    row.addEventListener("click", () => showEntry(entry.id));
    return row;
  }

  // The whole request and answer of one entry (GET requests/{id}), secrets masked.
  async function showEntry(id) {
    const panel = $("entry");
    showError("entry-error", "");
    let entry;
    try {
      entry = await api(`requests/${encodeURIComponent(id)}`);
    } catch (error) {
      showError("entry-error", `entry ${id}: ${error.describe()}`);
      panel.hidden = false;
      return;
    }
    $("entry-title").textContent = `#${entry.id} ${entry.method} ${entry.path} \u2192 ${entry.status}`;
    const side = (part, first) => {
      const lines = [first, ...part.headers.map(([name, value]) => `${name}: ${value}`), ""];
      if (part.body) lines.push(part.body);
      if (part.body_truncated) lines.push(`(\u2026 ${part.body_size} bytes in all)`);
      return lines.join("\n");
    };
    const query = entry.request.query ? `?${entry.request.query}` : "";
    $("entry-request").textContent = side(entry.request, `${entry.method} ${entry.path}${query}`);
    $("entry-answer").textContent = side(entry.answer, `${entry.answer.status}`);
    panel.hidden = false;
  }

  async function refreshJournal(force) {
    const form = $("journal-filters");
    if (!form.elements.live.checked && !force) return;
    const params = journalParams();
    const vendor = form.elements.vendor.value;
    const status = form.elements.status.value.trim();
    if (vendor) params.set("vendor", vendor);
    if (status) {
      if (!STATUS_FILTER.test(status)) {
        showError("journal-error", "status: a code (401) or a class (4xx)");
        return;
      }
      params.set("status", status);
    }
    const number = ask("journal");
    let data;
    try {
      data = await api(`requests?${params}`);
    } catch (error) {
      showError("journal-error", `journal unavailable: ${error.describe()}`);
      return;
    }
    showError("journal-error", "");
    if (!newest("journal", number)) return; // an answer for older filters
    renderJournal(params.toString(), data);
  }

  function journalParams() {
    return new URLSearchParams({ limit: String(JOURNAL_LIMIT) });
  }

  function renderJournal(paramsKey, data) {
    if (!changed("journal", [paramsKey, data.requests])) return;
    $("journal-rows").replaceChildren(...data.requests.map(journalRow));
    $("journal-none").hidden = data.requests.length > 0;
    const more = data.requests.length >= JOURNAL_LIMIT ? ` (newest ${JOURNAL_LIMIT})` : "";
    $("journal-count").textContent = `${data.requests.length}${more}`;
  }

  function showLive() {
    const live = $("journal-filters").elements.live.checked;
    $("journal-updated").textContent = live ? `refreshed every ${FAST_MS / 1000} s` : "paused";
  }

  // ---- faults -------------------------------------------------------------------------

  function describeFault(fault) {
    const parts = [];
    if (fault.drop) parts.push("drop connection");
    if (fault.status !== null && fault.status !== undefined) parts.push(`status ${fault.status}`);
    if (fault.delay_ms) parts.push(`${parts.length ? "after " : "delay "}${fault.delay_ms} ms`);
    return parts.join(" ") || "—";
  }

  function faultRow(fault) {
    const row = el("tr");
    row.dataset.fault = String(fault.id);
    cell(row, fault.id, "mono");
    cell(row, fault.vendor);
    cell(row, fault.route || "(every route)", "mono");
    cell(row, fault.method || "(any)", "mono");
    cell(row, describeFault(fault));
    cell(row, fault.probability);
    cell(row, fault.times_left);
    const button = el("button", "small", "delete");
    button.type = "button";
    button.addEventListener("click", async () => {
      try {
        await api(`faults/${encodeURIComponent(fault.id)}`, { method: "DELETE" });
      } catch (error) {
        showError("fault-form-error", `delete: ${error.describe()}`);
      }
      refreshFaults();
    });
    cell(row, "").append(button);
    return row;
  }

  function setFaultFormEnabled(enabled) {
    for (const control of $("fault-form").elements) control.disabled = !enabled;
  }

  async function refreshFaults() {
    const number = ask("faults");
    let data;
    try {
      data = await api("faults");
    } catch (error) {
      if (locked) return;
      showError("faults-error", `faults unavailable: ${error.describe()}`);
      showError("fault-form-error", "");
      $("faults-table").hidden = true;
      $("faults-none").hidden = true;
      $("faults-count").textContent = "";
      setFaultFormEnabled(false);
      seen.delete("faults");
      return;
    }
    showError("faults-error", "");
    setFaultFormEnabled(true);
    if (routes === null) loadRoutes();
    if (newest("faults", number)) renderFaults(data);
  }

  function renderFaults(data) {
    if (!changed("faults", data.faults)) return;
    $("faults-rows").replaceChildren(...data.faults.map(faultRow));
    $("faults-table").hidden = data.faults.length === 0;
    $("faults-none").hidden = data.faults.length > 0;
    $("faults-count").textContent = String(data.faults.length);
  }

  function option(value, text) {
    const node = el("option", null, text);
    node.value = value;
    return node;
  }

  function fillFaultVendors() {
    const list = routes || vendors;
    for (const form of [$("fault-form"), $("fixtures-form")]) {
      const select = form.elements.vendor;
      const current = select.value;
      select.replaceChildren(...list.map((v) => option(v.id, `${v.title} (${v.id})`)));
      if (list.some((v) => v.id === current)) select.value = current;
    }
    fillFaultRoutes();
  }

  function vendorRoutes() {
    const id = $("fault-form").elements.vendor.value;
    const found = (routes || []).find((v) => v.id === id);
    return found ? found.routes : [];
  }

  function fillFaultRoutes() {
    const select = $("fault-form").elements.route;
    const list = vendorRoutes();
    select.replaceChildren(
      option("", "(every route)"),
      ...list.map((r) => option(r.name, `${r.short} — ${r.methods.join(", ")} ${r.path}`)),
    );
    fillFaultMethods();
  }

  function fillFaultMethods() {
    const form = $("fault-form");
    const chosen = vendorRoutes().find((r) => r.name === form.elements.route.value);
    let methods = chosen ? chosen.methods : [...new Set(vendorRoutes().flatMap((r) => r.methods))];
    if (!methods.length) methods = ANY_METHODS;
    form.elements.method.replaceChildren(option("", "(any)"), ...methods.map((m) => option(m, m)));
  }

  async function loadRoutes() {
    try {
      routes = (await api("routes")).vendors;
    } catch (error) {
      routes = null;
      // Without faults the panel already says so; the routes only serve its form.
      if ($("faults-error").hidden) {
        showError("fault-form-error", `routes unavailable: ${error.describe()}`);
      }
      return;
    }
    showError("fault-form-error", "");
    fillFaultVendors();
  }

  function faultBody(form) {
    const body = { vendor: form.elements.vendor.value };
    if (form.elements.route.value) body.route = form.elements.route.value;
    if (form.elements.method.value) body.method = form.elements.method.value;
    for (const name of ["status", "delay_ms", "probability", "times"]) {
      const raw = form.elements[name].value.trim();
      if (raw !== "") body[name] = Number(raw);
    }
    if (form.elements.drop.checked) body.drop = true;
    return body;
  }

  async function addFault(event) {
    event.preventDefault();
    const form = event.target;
    try {
      await api("faults", { method: "POST", body: faultBody(form) });
      showError("fault-form-error", "");
      form.elements.status.value = "";
      form.elements.delay_ms.value = "";
      form.elements.drop.checked = false;
    } catch (error) {
      showError("fault-form-error", `fault refused: ${error.describe()}`);
    }
    refreshFaults();
  }

  // ---- vendors: credentials and state -------------------------------------------------

  function vendorCard(vendor) {
    const card = $("vendor-card").content.firstElementChild.cloneNode(true);
    card.dataset.vendor = vendor.id;
    card.querySelector(".vendor-title").textContent = vendor.title;
    card.querySelector(".vendor-id").textContent = vendor.id;
    const url = card.querySelector(".vendor-url");
    url.textContent = worldRoot.href.replace(/\/$/, "") + vendor.prefix;
    const urlButton = card.querySelector(".vendor-url-copy");
    urlButton.addEventListener("click", () => copy(url.textContent, urlButton, url));
    const rows = card.querySelector(".credentials tbody");
    for (const item of vendor.credentials) {
      const row = el("tr");
      cell(row, item.label, "label");
      const about = cell(row, "");
      const value = el("div", "value", item.value);
      about.append(value);
      if (item.note) about.append(el("div", "note", item.note));
      const button = el("button", "copy small", "copy");
      button.type = "button";
      button.title = `copy ${item.label}`;
      button.addEventListener("click", () => copy(item.value, button, value));
      cell(row, "", "copy-cell").append(button);
      rows.append(row);
    }
    if (!vendor.credentials.length) {
      const row = el("tr");
      cell(row, "none in the fixtures", "muted").colSpan = 3;
      rows.append(row);
    }
    card.querySelector("details").addEventListener("toggle", () => refreshState(vendor.id));
    return card;
  }

  function stateSummary(state) {
    const parts = [];
    for (const [key, value] of Object.entries(state)) {
      if (key === "vendor" || key === "now") continue;
      if (Array.isArray(value)) parts.push(`${key} ${value.length}`);
      else if (value && typeof value === "object") {
        // Lists grouped by kind (web1on1's records) count as their sum; settings do not count.
        const lists = Object.values(value).filter(Array.isArray);
        if (lists.length) parts.push(`${key} ${lists.reduce((sum, list) => sum + list.length, 0)}`);
      }
    }
    return parts.join(" · ");
  }

  async function refreshState(id) {
    const card = document.querySelector(`article[data-vendor="${CSS.escape(id)}"]`);
    if (!card) return;
    const summary = card.querySelector(".state-summary");
    let state;
    try {
      state = await api(`state/${encodeURIComponent(id)}`);
    } catch (error) {
      summary.textContent = `unavailable: ${error.describe()}`;
      seen.delete(`state:${id}`);
      return;
    }
    const { now: _now, ...stable } = state; // `now` moves every call
    if (!changed(`state:${id}`, stable)) return;
    summary.textContent = stateSummary(state);
    card.querySelector(".state-json").textContent = JSON.stringify(state, null, 2);
  }

  async function refreshStates() {
    await Promise.all(vendors.map((v) => refreshState(v.id)));
  }

  async function loadVendors() {
    try {
      renderVendors((await api("credentials")).vendors);
      showError("vendors-error", "");
    } catch (error) {
      if (locked) return;
      showError("vendors-error", `credentials unavailable: ${error.describe()}`);
      renderVendors([]);
    }
  }

  function renderVendors(list) {
    vendors = list;
    $("vendors").replaceChildren(...vendors.map(vendorCard));
    const filter = $("journal-filters").elements.vendor;
    filter.replaceChildren(
      option("", "(all)"),
      ...vendors.map((v) => option(v.id, `${v.title} (${v.id})`)),
    );
    fillFaultVendors();
  }

  async function loadAbout() {
    try {
      renderAbout(await api("health"));
    } catch (error) {
      $("about").textContent = `health: ${error.describe()}`;
    }
  }

  // ---- worlds ----------------------------------------------------------------------------

  function renderWorlds(listed) {
    const names = listed.map((world) => world.name);
    if (!names.includes(worldName)) names.push(worldName); // made by this page's request
    if (!changed("worlds", names)) return;
    const select = $("world");
    select.replaceChildren(
      ...names.map((name) => {
        const option = el("option", null, name);
        option.value = name;
        option.selected = name === worldName;
        return option;
      }),
    );
  }

  async function refreshWorlds() {
    renderWorlds((await api("worlds", { atServer: true })).worlds);
  }

  async function newWorld() {
    try {
      const made = await api("worlds", { method: "POST", body: {}, atServer: true });
      location.assign(dashboardOf(made.name));
    } catch (error) {
      setStatus(`new world: ${error.describe()}`, true);
    }
  }

  function renderAbout(health) {
    const where = health.database ? ` · ${health.database} · fixtures ${health.fixtures.directory}` : "";
    $("about").textContent = `v${health.version}${where}`;
  }

  // ---- fixtures added at run time -----------------------------------------------------

  async function addFixtures(event) {
    event.preventDefault();
    const form = event.target;
    showError("fixtures-error", "");
    $("fixtures-result").hidden = true;
    let sections;
    try {
      sections = JSON.parse(form.elements.fixtures.value);
    } catch (error) {
      showError("fixtures-error", `not JSON: ${error.message}`);
      return;
    }
    try {
      const answer = await api("fixtures", {
        method: "POST",
        body: { vendor: form.elements.vendor.value, fixtures: sections },
      });
      const added = Object.entries(answer.added || {}).map(([section, count]) => `${count} ${section}`);
      const settings = answer.settings ? ["settings"] : [];
      const result = $("fixtures-result");
      result.textContent = `added to ${answer.vendor}: ${[...added, ...settings].join("; ") || "nothing"}`;
      result.hidden = false;
      loadVendors();
    } catch (error) {
      const problems = error.problems && error.problems.length ? `\n${error.problems.join("\n")}` : "";
      showError("fixtures-error", `fixtures refused: ${error.describe()}${problems}`);
    }
  }

  // ---- the state the page came with ---------------------------------------------------

  // The server's answers to the calls start() would make first, so the first paint
  // shows the current state; `{"locked": true}` when an admin token is needed.
  function renderFirstState() {
    const node = $("first-state");
    let state = null;
    try {
      state = JSON.parse(node.textContent);
    } catch {
      return false; // not filled in (the file opened on its own): ask the API
    }
    if (state.locked) {
      showLogin(null);
      return true;
    }
    $("logout").hidden = !state.session;
    renderWorlds(state.worlds.worlds);
    renderAbout(state.health);
    renderClock(state.clock);
    renderJournal(journalParams().toString(), state.requests);
    renderFaults(state.faults);
    routes = state.routes.vendors;
    renderVendors(state.credentials.vendors);
    return true;
  }

  // ---- wiring ---------------------------------------------------------------------------

  function every(ms, task) {
    const tick = async () => {
      if (locked) return;
      if (!document.hidden) {
        try {
          await task();
        } catch (error) {
          setStatus(String(error.message || error), true);
        }
      }
      setTimeout(tick, ms);
    };
    tick();
  }

  async function refreshAll() {
    seen.clear();
    await Promise.all([refreshClock(), refreshJournal(true), refreshFaults(), refreshStates()]);
  }

  function wire() {
    $("world").addEventListener("change", (event) => location.assign(dashboardOf(event.target.value)));
    $("world-new").addEventListener("click", newWorld);
    for (const button of document.querySelectorAll("[data-advance]")) {
      button.addEventListener("click", () =>
        moveClock({ advance: Number(button.dataset.advance) }),
      );
    }
    for (const button of document.querySelectorAll("[data-clock]")) {
      button.addEventListener("click", () => moveClock({ [button.dataset.clock]: true }));
    }
    $("reset").addEventListener("click", async () => {
      if (!window.confirm("Reset the emulator: fixtures' state, real clock, no faults, empty journal?")) return;
      try {
        await api("reset", { method: "POST" });
      } catch (error) {
        setStatus(`reset: ${error.describe()}`, true);
      }
      refreshAll();
    });
    const filters = $("journal-filters");
    filters.addEventListener("submit", (event) => event.preventDefault());
    filters.addEventListener("input", () => {
      showLive();
      refreshJournal(true);
    });
    $("journal-clear").addEventListener("click", async () => {
      try {
        await api("requests", { method: "DELETE" });
      } catch (error) {
        showError("journal-error", `clear: ${error.describe()}`);
      }
      refreshJournal(true);
    });
    $("fixtures-form").addEventListener("submit", addFixtures);
    const faultForm = $("fault-form");
    faultForm.addEventListener("submit", addFault);
    faultForm.elements.vendor.addEventListener("change", fillFaultRoutes);
    faultForm.elements.route.addEventListener("change", fillFaultMethods);
    $("faults-clear").addEventListener("click", async () => {
      try {
        await api("faults", { method: "DELETE" });
      } catch (error) {
        showError("fault-form-error", `delete all: ${error.describe()}`);
      }
      refreshFaults();
    });
  }

  async function start() {
    wire();
    showLive();
    if (!renderFirstState()) await Promise.all([loadAbout(), loadVendors(), loadRoutes()]);
    if (locked) return;
    every(FAST_MS, async () => {
      await Promise.all([refreshClock(), refreshJournal(false)]);
    });
    every(SLOW_MS, async () => {
      await Promise.all([refreshFaults(), refreshStates(), refreshWorlds()]);
    });
    document.body.dataset.ready = "1";
  }

  // A deferred script runs once the page is parsed and before its load event: the
  // first state is painted with the page, not after a round of API calls.
  start();
})();
