// The emulator's dashboard: plain DOM, no dependencies, nothing fetched from anywhere but this origin.
// It polls the control plane about once a second and reads the feed through the API itself, as a consumer
// would: with the subscription key and a Maskinporten-shaped token minted by the control plane.

const CONTROL = "/_emulator";
const POLL_MS = 1000;
const DASHBOARD_CLIENT = "emulator-dashboard";
const DASHBOARD_CONSUMER = `client:${DASHBOARD_CLIENT}`;
const TOKEN_LIFETIME = 3600;
const JOURNAL_KEEP = 200;
const SPARK_POINTS = 60;
const ADMIN_KEY = "trygdehendelser-emulator.admin-token";

const state = {
  admin: sessionStorage.getItem(ADMIN_KEY) || "",
  needsAdmin: false,
  config: null,
  token: null, // {value, expiresAtMs (emulator clock)}
  nowMs: null, // the emulator's clock at the last poll
  samples: [], // {t: performance.now() ms, head}
  rates: [],
  head: null,
  journalSeq: 0,
  journal: [],
  browser: { from: "1", history: [], next: null, lastShownHead: null },
  period: null,
  polling: false,
};

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en-US");
const n = (value) => (value === null || value === undefined ? "–" : fmt.format(value));

// ---------------------------------------------------------------- DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

// A figure in the glance strip: ten million and more gets the smaller type, so that no digit is cut off.
function setFigure(id, value) {
  const text = n(value);
  setText(id, text);
  $(id).classList.toggle("long", text.length > 9);
}

// A legend's entries: each keeps its colour key and figure together, and wraps as a whole.
function legend(container, entries) {
  container.replaceChildren(
    ...entries.flatMap(([keyClass, text], i) => [
      i ? " " : "",
      el("span", { class: "pair" }, el("span", { class: `key ${keyClass}` }), text),
    ]),
  );
}

function showError(id, error) {
  $(id).textContent = error ? String(error.message || error) : "";
}

// ---------------------------------------------------------------- HTTP

class HttpError extends Error {
  constructor(status, message, body) {
    super(`${status}: ${message}`);
    this.status = status;
    this.body = body;
  }
}

// The server's own words for a 4xx: FastAPI's detail (a string, or validation errors), API Management's
// message, Spring's message, or OAuth's error_description.
function describe(body, text) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail
        .map((item) => {
          const where = (item.loc || []).filter((part) => part !== "body").join(".");
          return where ? `${where}: ${item.msg}` : item.msg;
        })
        .join("; ");
    }
    if (typeof body.message === "string") return body.message;
    if (typeof body.error_description === "string") return `${body.error}: ${body.error_description}`;
  }
  return text || "no answer";
}

async function readBody(response) {
  const text = await response.text();
  try {
    return { text, body: text ? JSON.parse(text) : null };
  } catch {
    return { text, body: null };
  }
}

async function control(method, path, payload) {
  const headers = { Accept: "application/json" };
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  if (state.admin) headers.Authorization = `Bearer ${state.admin}`;
  const response = await fetch(CONTROL + path, {
    method,
    headers,
    cache: "no-store",
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const { text, body } = await readBody(response);
  if (response.status === 401) askForAdminToken(describe(body, text));
  if (!response.ok) throw new HttpError(response.status, describe(body, text), body);
  return body;
}

function askForAdminToken(message) {
  state.needsAdmin = true;
  $("admin-form").hidden = false;
  $("admin-error").textContent = state.admin ? `Not accepted: ${message}` : "";
  setConnection("error", "needs the admin token");
}

// ---------------------------------------------------------------- the feed, with credentials

async function token() {
  const margin = 60_000;
  if (state.token && state.nowMs !== null && state.token.expiresAtMs - margin > state.nowMs) return state.token.value;
  const minted = await control("POST", "/tokens", { client_id: DASHBOARD_CLIENT, lifetime_seconds: TOKEN_LIFETIME });
  const now = state.nowMs ?? Date.now();
  state.token = { value: minted.access_token, expiresAtMs: now + minted.expires_in * 1000 };
  return state.token.value;
}

async function feed(params) {
  if (!state.config) state.config = await control("GET", "/dashboard/config");
  const query = new URLSearchParams(params).toString();
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${await token()}` };
    if (state.config.subscription_key) headers["Ocp-Apim-Subscription-Key"] = state.config.subscription_key;
    const response = await fetch(`${state.config.feed_path}?${query}`, { headers, cache: "no-store" });
    const { text, body } = await readBody(response);
    if (response.ok) return body;
    // The clock may have moved past the token's exp (or back before its iat): mint again, once.
    if (response.status === 401 && attempt === 0 && !/subscription key/.test(describe(body, text))) {
      state.token = null;
      continue;
    }
    throw new HttpError(response.status, describe(body, text), body);
  }
}

// ---------------------------------------------------------------- identities

// Tenor's synthetic numbers add 80 to the month (81-92), which no real scheme uses; D-numbers add 40 to the day.
function identity(ident) {
  if (!/^\d{11}$/.test(ident)) return { synthetic: false, dnr: false };
  const day = Number(ident.slice(0, 2));
  const month = Number(ident.slice(2, 4));
  return { synthetic: month >= 81 && month <= 92, dnr: day > 40 };
}

function identCell(ident) {
  const { synthetic, dnr } = identity(ident);
  return el(
    "span",
    { class: "ident-cell" },
    el("span", { class: "ident", text: ident }),
    synthetic
      ? el("span", { class: "badge synthetic", title: "synthetic (Tenor): month + 80, never a real person", text: "synthetic (Tenor)" })
      : el("span", { class: "badge bad", title: "month is not 81–92", text: "not synthetic" }),
    dnr ? el("span", { class: "badge dnr", title: "D-number: day + 40", text: "D-nr" }) : null,
  );
}

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function checkDigit(digits, weights) {
  const sum = weights.reduce((total, weight, i) => total + weight * digits[i], 0);
  return (11 - (sum % 11)) % 11;
}

// A new synthetic fødselsnummer: born 1940-2009, month + 80, an individnummer that fits the century.
function newSyntheticIdent() {
  const random = (below) => Math.floor(Math.random() * below);
  for (;;) {
    const year = 1940 + random(70);
    const month = 1 + random(12);
    const day = 1 + random(new Date(Date.UTC(year, month, 0)).getUTCDate());
    const individ = year >= 2000 ? 500 + random(500) : random(500);
    const nine = [
      ...String(day).padStart(2, "0"),
      ...String(month + 80),
      ...String(year % 100).padStart(2, "0"),
      ...String(individ).padStart(3, "0"),
    ].map(Number);
    const k1 = checkDigit(nine, K1);
    if (k1 === 10) continue;
    const k2 = checkDigit([...nine, k1], K2);
    if (k2 === 10) continue;
    return [...nine, k1, k2].join("");
  }
}

// ---------------------------------------------------------------- rendering helpers

function shortTime(text) {
  // 2024-03-31T03:00:00.000+02:00, or the local style's 2024-03-31T03:00:00.12 -> 2024-03-31 03:00:00;
  // the full text stays in the title.
  return text.replace("T", " ").replace(/\.\d+.*$/, "").replace(/([+-]\d{2}:\d{2}|Z)$/, "");
}

const osloTime = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Oslo",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

function clockTime(ms) {
  const date = new Date(ms);
  return `${osloTime.format(date)}.${String(date.getUTCMilliseconds()).padStart(3, "0")}`;
}

function ago(ms) {
  if (ms === null || ms === undefined || state.nowMs === null) return "–";
  const seconds = Math.max(0, Math.round((state.nowMs - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function typeChip(type) {
  return el("span", { class: `chip type-${type.toLowerCase()}`, text: type });
}

function statusChip(status) {
  const kind = status >= 500 ? "s5" : status >= 400 ? "s4" : status >= 200 && status < 300 ? "s2" : "s0";
  return el("span", { class: `chip ${kind}`, text: String(status || "—") });
}

function mixBar(container, parts) {
  const total = parts.reduce((sum, part) => sum + part.count, 0);
  container.replaceChildren(
    ...parts.map((part) => {
      const segment = el("span", { class: `segment ${part.class}`, title: `${part.label}: ${n(part.count)}` });
      segment.style.width = total ? `${(100 * part.count) / total}%` : "0";
      return segment;
    }),
  );
  return total;
}

function percent(count, total) {
  return total ? `${((100 * count) / total).toFixed(1)}%` : "–";
}

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// ---------------------------------------------------------------- the poll

function setConnection(kind, text) {
  const node = $("connection");
  node.className = `pill ${kind}`;
  node.textContent = text;
}

async function poll() {
  if (state.polling || state.needsAdmin) return;
  state.polling = true;
  try {
    const status = await control("GET", "/status");
    const newest = status.journal.evicted + status.journal.size;
    if (newest < state.journalSeq) {
      // The journal was cleared (a reset): start over.
      state.journal = [];
      state.journalSeq = 0;
    }
    const after = Math.max(state.journalSeq, newest - JOURNAL_KEEP);
    const [summary, consumers, journal] = await Promise.all([
      control("GET", "/dashboard/summary"),
      control("GET", "/consumers"),
      control("GET", `/journal?after=${after}&limit=${JOURNAL_KEEP}`),
    ]);
    state.nowMs = status.clock.now_ms;
    renderStatus(status);
    renderSummary(summary);
    renderConsumers(consumers);
    renderJournal(journal);
    setConnection("ok", `live · ${new Date().toLocaleTimeString("en-GB", { hour12: false })}`);
    await followHead(summary.head);
    if (state.period && state.period.head !== summary.head) await refreshPeriod();
  } catch (error) {
    if (!state.needsAdmin) setConnection("error", `no answer: ${error.message}`);
  } finally {
    state.polling = false;
  }
}

function renderStatus(status) {
  setText("version", `v${status.version}`);
  setText("log-description", status.log);
  setFigure("size", status.events);
  setText("size-sub", `seed ${status.seed}`);
  $("size-sub").title = `${n(status.seeded_head)} seeded events; digest ${status.digest}`;
  setText("head-sub", `+${n(status.appended)} appended`);
  // 2026-11-27T17:04:22.123+01:00: the time large, the date and offset below.
  const [date, rest] = status.clock.now.split("T");
  setText("clock-now", rest.slice(0, 8));
  $("clock-now").title = status.clock.now;
  $("clock-frozen").hidden = !status.clock.frozen;
  setText("clock-date", `${date} ${rest.slice(12)}`);
  const persistent = status.persistent ? ", events kept in SQLite" : "";
  $("clock-date").title = `the emulator's clock; up ${Math.round(status.uptime_seconds)} s${persistent}`;
  const live = status.live;
  setText("live-state", live ? `${live.rate}/s` : "off");
  setText("live-sub", live ? `${live.pattern}${live.pattern === "bursts" ? ` of ${live.burst_size}` : ""}` : "PUT /_emulator/live");
  $("live-state").classList.toggle("on", Boolean(live));
  setText("fault-count", `${status.faults.length} ${status.faults.length === 1 ? "fault" : "faults"}`);
  $("fault-count").classList.toggle("warn", status.faults.length > 0);
  const journal = status.journal;
  setText("journal-sub", `journal ${n(journal.size)} · ${n(journal.evicted)} evicted`);
  $("journal-sub").title = `the journal keeps the last ${n(journal.capacity)} requests`;
  renderFaults(status.faults);
}

function renderSummary(summary) {
  setFigure("head", summary.head);
  const now = performance.now();
  if (state.head !== null && summary.head < state.head) state.samples = [];
  state.head = summary.head;
  state.samples.push({ t: now, head: summary.head });
  if (state.samples.length > 1) {
    const [previous, latest] = state.samples.slice(-2);
    state.rates.push(Math.max(0, ((latest.head - previous.head) * 1000) / Math.max(latest.t - previous.t, 1)));
    if (state.rates.length > SPARK_POINTS) state.rates.shift();
  }
  state.samples = state.samples.filter((sample) => now - sample.t <= 5000);
  const oldest = state.samples[0];
  const rate = oldest && now > oldest.t ? ((summary.head - oldest.head) * 1000) / (now - oldest.t) : 0;
  setText("growth", state.samples.length > 1 ? (rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)) : "–");
  renderSparkline();

  const groups = summary.groups;
  const groupTotal = mixBar($("group-bar"), [
    { label: "EOS", count: groups.EOS, class: "eos" },
    { label: "OEVRIGE", count: groups.OEVRIGE, class: "oevrige" },
  ]);
  legend($("group-mix"), [
    ["eos", `EOS ${percent(groups.EOS, groupTotal)}`],
    ["oevrige", `OEVRIGE ${percent(groups.OEVRIGE, groupTotal)}`],
  ]);
  $("group-mix").title = `EOS ${n(groups.EOS)} · OEVRIGE ${n(groups.OEVRIGE)}`;
  const types = summary.types;
  mixBar($("type-bar"), [
    { label: "OPPRETTET", count: types.OPPRETTET, class: "type-opprettet" },
    { label: "ENDRET", count: types.ENDRET, class: "type-endret" },
    { label: "ANNULLERT", count: types.ANNULLERT, class: "type-annullert" },
  ]);
  legend($("type-mix"), [
    ["type-opprettet", n(types.OPPRETTET)],
    ["type-endret", n(types.ENDRET)],
    ["type-annullert", n(types.ANNULLERT)],
  ]);
  $("type-mix").title = "OPPRETTET · ENDRET · ANNULLERT";
  setFigure("periods", summary.periods);
  setText("periods-sub", `${n(summary.annulled)} annulled`);
  $("periods-sub").title = `${percent(summary.annulled, summary.periods)} of the periods end annulled`;
}

function renderSparkline() {
  const svg = $("sparkline");
  const rates = state.rates;
  if (rates.length < 2) {
    svg.replaceChildren();
    return;
  }
  const top = Math.max(...rates, 1);
  const step = 120 / (SPARK_POINTS - 1);
  const offset = (SPARK_POINTS - rates.length) * step;
  const points = rates.map((rate, i) => `${(offset + i * step).toFixed(1)},${(23 - (22 * rate) / top).toFixed(1)}`);
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("class", "spark-line");
  svg.replaceChildren(line);
}

function renderConsumers(answer) {
  setText("consumers-head", `head ${n(answer.head)}`);
  // This page reads the feed too; it comes last.
  const consumers = [...answer.consumers].sort(
    (a, b) => (a.consumer === DASHBOARD_CONSUMER) - (b.consumer === DASHBOARD_CONSUMER),
  );
  const rows = consumers.map((consumer) => {
    const own = consumer.consumer === DASHBOARD_CONSUMER;
    const lagShare = answer.head ? Math.min(1, consumer.lag / answer.head) : 0;
    const bar = el("span", { class: "lagbar" }, el("span", { class: "lagfill" }));
    bar.firstChild.style.width = `${Math.max(lagShare * 100, consumer.lag ? 2 : 0)}%`;
    const counts = (byStatus) =>
      Object.entries(byStatus || {}).map(([code, count]) =>
        el("span", { class: "status-count" }, statusChip(Number(code)), `×${count}`),
      );
    const statuses = counts(consumer.requests_by_status);
    // Its look-ups in MEDL, after its reads of the feed: a line of their own, marked as MEDL's.
    const medl = consumer.medl_requests
      ? el("span", { class: "medl-counts", title: `${consumer.medl_requests} MEDL look-ups` }, el("span", { class: "medl-label", text: "MEDL" }), counts(consumer.medl_requests_by_status))
      : null;
    return el(
      "tr",
      { "data-consumer": consumer.consumer, class: own ? "own" : null },
      el("td", { class: "consumer-name", title: consumer.consumer }, consumer.consumer, own ? el("span", { class: "badge", text: "this page" }) : null),
      el("td", { class: "num", text: n(consumer.caught_up_to) }),
      el("td", { class: "lag" }, el("span", { class: "lag-value", text: n(consumer.lag) }), bar),
      el("td", { class: "statuses", title: `${consumer.requests} feed requests, ${consumer.medl_requests || 0} MEDL look-ups` }, statuses, medl),
      el("td", { text: ago(consumer.last_seen_ms), title: consumer.last_requested === null ? "" : `last asked from ${consumer.last_requested}, highest delivered ${consumer.highest_delivered ?? "–"}` }),
    );
  });
  replaceRows($("consumers-table").tBodies[0], rows);
  $("consumers-empty").hidden = rows.length > 0;
}

function renderJournal(answer) {
  for (const entry of answer.entries) {
    if (entry.sequence > state.journalSeq) {
      state.journal.push(entry);
      state.journalSeq = entry.sequence;
    }
  }
  if (state.journal.length > JOURNAL_KEEP) state.journal.splice(0, state.journal.length - JOURNAL_KEEP);
  const hideOwn = $("journal-hide-own").checked;
  const feedPath = state.config ? state.config.feed_path : "/helse/v1/trygdehendelser/hendelser";
  const medlPath = state.config ? state.config.medl_path : "/medlemskap/v1/medlemskapsunntak";
  const rows = [];
  for (let i = state.journal.length - 1; i >= 0 && rows.length < 100; i -= 1) {
    const entry = state.journal[i];
    if (hideOwn && entry.consumer === DASHBOARD_CONSUMER) continue;
    const what = entry.path === feedPath ? "feed" : medlName(entry.path, medlPath);
    rows.push(
      el(
        "tr",
        { class: entry.consumer === DASHBOARD_CONSUMER ? "own" : null },
        el("td", { class: "num", text: String(entry.sequence) }),
        el("td", { class: "time", text: clockTime(entry.at_ms) }),
        el("td", { class: "request", title: `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}` },
          el("span", { class: "method", text: entry.method }), ` ${what}`,
          entry.query ? el("span", { class: "muted", text: `?${entry.query}` }) : null),
        el("td", { class: "num" }, statusChip(entry.status)),
        el("td", { class: "num", text: entry.latency_ms.toFixed(1) }),
        el("td", { class: "journal-consumer", title: entry.consumer || "", text: entry.consumer || "–" }),
        el("td", { text: entry.fault || "" }),
      ),
    );
  }
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 7, class: "muted", text: "No requests yet." })));
  replaceRows($("journal-table").tBodies[0], rows);
}

// MEDL's two operations: "medl" for a person's periods, "medl/{unntakId}" for one; any other path as it is.
function medlName(path, medlPath) {
  if (path === medlPath) return "medl";
  return path.startsWith(`${medlPath}/`) ? `medl/${path.slice(medlPath.length + 1)}` : path;
}

function renderFaults(faults) {
  const items = faults.map((fault) => {
    const what =
      fault.kind === "status"
        ? `status ${fault.status}${fault.retry_after_seconds !== null ? ` (Retry-After ${fault.retry_after_seconds})` : ""}`
        : fault.kind === "latency"
          ? `latency ${fault.latency_ms} ms${fault.jitter_ms ? ` ± ${fault.jitter_ms}` : ""}`
          : fault.kind;
    const scope = [
      `on ${fault.route}`,
      fault.consumer ? `for ${fault.consumer}` : null,
      fault.from_number !== null ? `from ${fault.from_number}` : null,
      fault.probability < 1 ? `p=${fault.probability}` : null,
    ].filter(Boolean);
    const left = fault.remaining === null ? "until removed" : `${fault.remaining} left`;
    return el(
      "li",
      { "data-fault": fault.id },
      el("span", { class: "fault-id", text: fault.id }),
      el("span", { class: "fault-what", text: `${what} ${scope.join(" ")}` }),
      el("span", { class: "muted", text: `${left} · applied ${fault.applied}` }),
      el("button", { type: "button", class: "small", "aria-label": `Remove fault ${fault.id}`, text: "Remove", onclick: () => removeFault(fault.id) }),
    );
  });
  $("fault-list").replaceChildren(...items);
  $("faults-empty").hidden = items.length > 0;
}

// ---------------------------------------------------------------- the event browser

async function readPage(from, { remember = true } = {}) {
  const size = $("browser-size").value.trim();
  const group = $("browser-group").value;
  const params = { hendelsesnummer: from };
  if (size) params.antallHendelser = size;
  if (group !== "ALLE") params.hjemmelgruppe = group;
  showError("browser-error", null);
  let page;
  try {
    page = await feed(params);
  } catch (error) {
    showError("browser-error", error);
    return;
  }
  if (remember && state.browser.from !== from) state.browser.history.push(state.browser.from);
  state.browser.from = from;
  $("browser-from").value = from;
  const events = page.hendelser;
  state.browser.next = events.length ? String(events[events.length - 1].hendelsesnummer + 1) : null;
  state.browser.lastShownHead = state.head;
  $("browser-prev").disabled = state.browser.history.length === 0;
  $("browser-next").disabled = !(events.length && page.totaltAntallHendelser > events.length);
  const first = events.length ? events[0].hendelsesnummer : null;
  const last = events.length ? events[events.length - 1].hendelsesnummer : null;
  setText(
    "browser-info",
    events.length
      ? `antallHendelser ${page.antallHendelser} (${first}–${last}) · totaltAntallHendelser ${n(page.totaltAntallHendelser)} from ${from}`
      : `No events from ${from}${group !== "ALLE" ? ` in ${group}` : ""} (totaltAntallHendelser ${page.totaltAntallHendelser}).`,
  );
  replaceRows($("browser-table").tBodies[0], events.map(eventRow));
}

function eventRow(event) {
  const period = event.innhold.periodeId;
  return el(
    "tr",
    { "data-number": event.hendelsesnummer },
    el("td", { class: "num", text: String(event.hendelsesnummer) }),
    el("td", {}, typeChip(event.type)),
    el("td", { class: "num" }, el("button", { type: "button", class: "link", title: `Show period ${period}'s history`, text: String(period), onclick: () => showPeriod(String(period)) })),
    el("td", {}, identCell(event.innhold.personident)),
    el("td", {}, el("span", { class: `chip group-${event.metadata.hjemmelgruppe.toLowerCase()}`, text: event.metadata.hjemmelgruppe })),
    el("td", { class: "time", title: event.metadata.opprettetDato, text: shortTime(event.metadata.opprettetDato) }),
  );
}

async function followHead(head) {
  if (!$("browser-follow").checked || head === state.browser.lastShownHead) return;
  await readPage(tailStart(head), { remember: false });
}

function tailStart(head) {
  const size = Number($("browser-size").value) || 100;
  return String(Math.max(1, head - size + 1));
}

// ---------------------------------------------------------------- a period's history

// A period's person never changes (the summary shows it, and MEDL's record beside the events), so its events
// leave it out. Shown from a click or the form; asked again whenever the head moves (an append may have changed it), with
// only the newest answer drawn.
async function showPeriod(periodId) {
  $("period-id").value = periodId;
  state.period = { id: periodId.trim(), head: state.head, asked: 0 };
  await refreshPeriod();
}

async function refreshPeriod() {
  const shown = state.period;
  if (!shown) return;
  shown.head = state.head;
  const asked = (shown.asked += 1);
  showError("period-error", null);
  let period;
  try {
    period = await control("GET", `/dashboard/periods/${encodeURIComponent(shown.id)}`);
  } catch (error) {
    if (state.period !== shown || shown.asked !== asked) return;
    state.period = null;
    showError("period-error", error);
    $("period-summary").replaceChildren();
    replaceRows($("period-table").tBodies[0], []);
    renderMedl(undefined);
    return;
  }
  if (state.period !== shown || shown.asked !== asked) return;
  const who = period.identity;
  const identityBadges = who.synthetic
    ? [
        el("span", { class: "badge synthetic", text: "synthetic (Tenor)" }),
        who.kind === "DNR" ? el("span", { class: "badge dnr", text: "D-number" }) : el("span", { class: "badge", text: "fødselsnummer" }),
        el("span", { class: "muted", text: `born ${who.birth_date}` }),
      ]
    : [el("span", { class: "badge bad", title: who.reason, text: "not synthetic" })];
  $("period-summary").replaceChildren(
    el("span", { class: "period-id", text: `periodeId ${period.periodeId}` }),
    el("span", { class: `chip group-${period.hjemmelgruppe.toLowerCase()}`, text: period.hjemmelgruppe }),
    period.annulled ? el("span", { class: "chip type-annullert", text: "annulled" }) : el("span", { class: "chip open", text: "open" }),
    el("span", { class: "ident", text: period.personident }),
    ...identityBadges,
    el("span", { class: "muted", text: `${period.count} ${period.count === 1 ? "event" : "events"}${period.truncated ? `, the first ${period.shown} shown` : ""}` }),
  );
  replaceRows(
    $("period-table").tBodies[0],
    period.hendelser.map((event) =>
      el(
        "tr",
        {},
        el("td", { class: "num", text: String(event.hendelsesnummer) }),
        el("td", {}, typeChip(event.type)),
        el("td", { text: event.metadata.hjemmelgruppe }),
        el("td", { class: "time", title: event.metadata.opprettetDato, text: shortTime(event.metadata.opprettetDato) }),
      ),
    ),
  );
  renderMedl(period.medlemskapsunntak);
}

// MEDL's record of the period as its API answers it (with sporingsinformasjon): undefined hides it, null says
// MEDL has none. Fields without a value are left out, as MEDL leaves them out.
function renderMedl(record) {
  $("period-medl").hidden = record === undefined;
  if (record === undefined) return;
  if (record === null) {
    $("period-medl-fields").replaceChildren(el("div", { class: "muted", text: "MEDL has no unntak with this id." }));
    return;
  }
  const text = (value) => (value === null || value === undefined ? null : String(value));
  const status = record.status === undefined ? null : el("span", {}, el("span", { class: `chip medl-${String(record.status).toLowerCase()}`, text: String(record.status) }), record.statusaarsak ? el("span", { class: "muted", text: ` ${record.statusaarsak}` }) : null);
  const tracing = record.sporingsinformasjon || {};
  const rows = [
    ["unntakId", text(record.unntakId)],
    ["ident", record.ident === undefined ? null : el("span", { class: "ident", text: String(record.ident) })],
    ["fraOgMed", text(record.fraOgMed)],
    ["tilOgMed", text(record.tilOgMed)],
    ["status", status],
    ["dekning", text(record.dekning)],
    ["helsedel", text(record.helsedel)],
    ["medlem", text(record.medlem)],
    ["lovvalgsland", text(record.lovvalgsland)],
    ["lovvalg", text(record.lovvalg)],
    ["grunnlag", text(record.grunnlag)],
    ["versjon", text(tracing.versjon), "tracing"],
    ["kilde", text(tracing.kilde), "tracing"],
    ["sistEndret", tracing.sistEndret ? el("span", { class: "time", title: tracing.sistEndret, text: shortTime(tracing.sistEndret) }) : null, "tracing"],
  ];
  let firstTracing = true;
  $("period-medl-fields").replaceChildren(
    ...rows
      .filter(([, value]) => value !== null)
      .map(([name, value, group]) => {
        const starts = group === "tracing" && firstTracing;
        if (starts) firstTracing = false;
        return el(
          "div",
          { class: starts ? "medl-field starts-tracing" : "medl-field", "data-field": name, title: group === "tracing" ? `sporingsinformasjon.${name}` : null },
          el("dt", { text: name }),
          el("dd", {}, value),
        );
      }),
  );
}

// ---------------------------------------------------------------- forms

function numberOrNull(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

function textOrNull(id) {
  const text = $(id).value.trim();
  return text === "" ? null : text;
}

// Runs an action for a form: disables its buttons meanwhile, shows the server's error detail on failure.
function onSubmit(formId, errorId, action) {
  $(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    run(errorId, action, event.submitter || null);
  });
}

async function run(errorId, action, button = null) {
  showError(errorId, null);
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    showError(errorId, error);
  } finally {
    if (button) button.disabled = false;
    poll();
  }
}

function appended(answer) {
  const range = answer.count === 1 ? `event ${answer.first}` : `events ${answer.first}–${answer.last}`;
  $("append-result").textContent = `Appended ${range}; head ${n(answer.head)}.`;
}

async function removeFault(id) {
  await run("fault-error", async () => renderFaults((await control("DELETE", `/faults/${id}`)).faults));
}

function wire() {
  $("admin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.admin = $("admin-token").value.trim();
    sessionStorage.setItem(ADMIN_KEY, state.admin);
    state.needsAdmin = false;
    state.config = null;
    state.token = null;
    $("admin-form").hidden = true;
    $("admin-error").textContent = "";
    poll().then(() => !state.needsAdmin && load(state.browser.from));
  });

  onSubmit("browser-form", "browser-error", async () => {
    state.browser.history = [];
    await readPage($("browser-from").value.trim(), { remember: false });
  });
  $("browser-first").addEventListener("click", () => readPage("1"));
  $("browser-next").addEventListener("click", () => state.browser.next && readPage(state.browser.next));
  $("browser-prev").addEventListener("click", () => {
    const previous = state.browser.history.pop();
    if (previous !== undefined) readPage(previous, { remember: false });
  });
  $("browser-tail").addEventListener("click", () => state.head !== null && readPage(tailStart(state.head)));
  $("browser-group").addEventListener("change", () => {
    state.browser.history = [];
    readPage($("browser-from").value.trim(), { remember: false });
  });
  $("browser-follow").addEventListener("change", () => {
    state.browser.lastShownHead = null;
    poll();
  });

  onSubmit("period-form", "period-error", () => showPeriod($("period-id").value));

  onSubmit("generate-form", "append-error", async () => {
    appended(await control("POST", "/events", { generate: Number($("generate-count").value) }));
  });
  onSubmit("event-form", "append-error", async () => {
    const draft = { type: $("event-type").value };
    const period = textOrNull("event-period");
    if (period !== null) draft.periodeId = /^\d+$/.test(period) ? Number(period) : period;
    const ident = textOrNull("event-ident");
    if (ident !== null) draft.personident = ident;
    if ($("event-group").value) draft.hjemmelgruppe = $("event-group").value;
    const created = textOrNull("event-created");
    if (created !== null) draft.opprettetDato = created;
    appended(await control("POST", "/events", { events: [draft] }));
  });
  $("event-ident-new").addEventListener("click", () => {
    $("event-ident").value = newSyntheticIdent();
  });

  onSubmit("live-form", "live-error", async () => {
    await control("PUT", "/live", {
      rate: Number($("live-rate").value),
      pattern: $("live-pattern").value,
      burst_size: Number($("live-burst").value) || 10,
    });
  });
  $("live-stop").addEventListener("click", (event) => run("live-error", () => control("DELETE", "/live"), event.currentTarget));

  for (const action of ["freeze", "unfreeze", "reset"]) {
    $(`clock-${action}`).addEventListener("click", (event) =>
      run("clock-error", () => control("POST", "/clock", { action }), event.currentTarget),
    );
  }
  onSubmit("clock-form", "clock-error", () => control("POST", "/clock", { action: "advance", seconds: Number($("clock-seconds").value) }));

  onSubmit("fault-form", "fault-error", async () => {
    const spec = {
      kind: $("fault-kind").value,
      route: $("fault-route").value,
      latency_ms: numberOrNull("fault-latency") ?? 0,
      jitter_ms: numberOrNull("fault-jitter") ?? 0,
      probability: numberOrNull("fault-probability") ?? 1,
    };
    if (spec.kind === "status") spec.status = numberOrNull("fault-status");
    const times = numberOrNull("fault-times");
    if (times !== null) spec.times = times;
    const consumer = textOrNull("fault-consumer");
    if (consumer !== null) spec.consumer = consumer;
    const from = numberOrNull("fault-from");
    if (from !== null) spec.from_number = from;
    const retry = numberOrNull("fault-retry");
    if (retry !== null) spec.retry_after_seconds = retry;
    renderFaults((await control("POST", "/faults", spec)).faults);
  });
  $("faults-clear").addEventListener("click", (event) =>
    run("fault-error", async () => renderFaults((await control("DELETE", "/faults")).faults), event.currentTarget),
  );

  onSubmit("token-form", "token-error", async () => {
    const request = { client_id: $("token-client").value.trim(), scope: $("token-scope").value.trim() };
    const lifetime = numberOrNull("token-lifetime");
    if (lifetime !== null) request.lifetime_seconds = lifetime;
    const minted = await control("POST", "/tokens", request);
    $("token-value").value = minted.access_token;
    $("token-copy").disabled = false;
    $("token-info").textContent = `${minted.token_type}, expires in ${minted.expires_in} s, scope ${minted.scope || "(none)"}`;
  });
  $("token-copy").addEventListener("click", async () => {
    const field = $("token-value");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      $("token-info").textContent = "Copied to the clipboard.";
    } catch {
      $("token-info").textContent = "Selected: press Ctrl+C to copy.";
    }
  });

  $("journal-hide-own").addEventListener("change", () => renderJournal({ entries: [] }));

  $("reset").addEventListener("click", (event) => {
    if (!window.confirm("Reset the emulator to its seeded state (events, faults, journal, consumers, clock, live mode)?")) return;
    run("browser-error", async () => {
      await control("POST", "/reset");
      state.token = null;
      state.samples = [];
      state.rates = [];
      state.browser.history = [];
      await readPage("1", { remember: false });
    }, event.currentTarget);
  });
}

// The subscription key the API wants (the first configured), and a first page of events.
async function load(from) {
  try {
    state.config = await control("GET", "/dashboard/config");
    setText("token-key", state.config.subscription_key ?? "(none configured)");
  } catch (error) {
    showError("browser-error", error);
    return;
  }
  await readPage(from, { remember: false });
}

async function start() {
  wire();
  await poll();
  if (!state.needsAdmin) await load("1");
  setInterval(poll, POLL_MS);
}

start();
