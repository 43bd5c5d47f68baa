// The Lakeshard admin page: signs in with an admin token (kept in this tab's sessionStorage, sent
// as a bearer token) and polls the node's admin routes. Every value shown comes from the node as
// text (never as HTML), and the node's refusals are shown as it words them.

const TOKEN_KEY = "lakeshard.adminToken";
const POLL_MS = 2000;
const CHART_POINTS = 60;
/** The most rows a table shows: a node may hold thousands of idle gateways. */
const MAX_ROWS = 200;
/** Deltas drawn widest, under the others: a push of one delta puts both lines on one path. */
const SERIES = [
  { key: "pushes", color: "#2563eb", width: 2 },
  { key: "deltas", color: "#16a34a", width: 5 },
  { key: "appends", color: "#d97706", width: 2 },
];

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY);
let timer = null;
let lastCounts = null;
const rates = [];

/** An admin route's answer: its JSON, or an Error carrying the status and the node's own words. */
async function api(method, path, currentToken = token) {
  const headers = currentToken ? { Authorization: `Bearer ${currentToken}` } : {};
  let response;
  try {
    response = await fetch(path, { method, headers, cache: "no-store" });
  } catch (e) {
    throw Object.assign(new Error(`the node did not answer (${e.message})`), { status: 0 });
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const words = body && (body.error || body.message) ? `${body.code ? body.code + ": " : ""}${body.error || body.message}` : text;
    throw Object.assign(new Error(`${response.status} ${words}`.trim()), { status: response.status });
  }
  return body;
}

/** What a refusal means for the person signing in. */
function refusal(error) {
  if (error.status === 401) return `Token refused by the node (${error.message}). Check the token and the node's secret.`;
  if (error.status === 403) return `This token is not an admin token (${error.message}).`;
  return `Could not sign in: ${error.message}`;
}

/** The token's claims, for showing who is signed in (the node, not this, decides what it may do). */
function claims(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

async function signIn(candidate) {
  $("sign-in-error").hidden = true;
  try {
    await api("GET", "/v1/admin/cluster", candidate);
  } catch (error) {
    showSignInError(refusal(error));
    return;
  }
  token = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  showDashboard();
}

function showSignInError(message) {
  $("sign-in-error").textContent = message;
  $("sign-in-error").hidden = false;
}

function signOut(message) {
  clearInterval(timer);
  timer = null;
  token = null;
  lastCounts = null;
  rates.length = 0;
  sessionStorage.removeItem(TOKEN_KEY);
  $("dashboard").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  if (message) showSignInError(message);
}

function showDashboard() {
  const who = claims(token);
  $("who").textContent = who ? `signed in as ${who.sub ?? "?"} (admin of ${who.gw ?? "?"})` : "signed in";
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("dashboard").hidden = false;
  refresh();
  timer = setInterval(refresh, POLL_MS);
}

async function refresh() {
  const [cluster, backends, counts] = await Promise.allSettled([
    api("GET", "/v1/admin/cluster"),
    api("GET", "/v1/admin/backends"),
    api("GET", "/v1/admin/throughput"),
  ]);
  const refused = [cluster, backends, counts].find((r) => r.status === "rejected" && [401, 403].includes(r.reason.status));
  if (refused) {
    signOut(`Signed out: ${refusal(refused.reason)}`);
    return;
  }
  const failures = [];
  if (cluster.status === "fulfilled") renderCluster(cluster.value); else failures.push(`cluster: ${cluster.reason.message}`);
  if (backends.status === "fulfilled") renderBackends(backends.value.backends); else failures.push(`backends: ${backends.reason.message}`);
  if (counts.status === "fulfilled") renderThroughput(counts.value); else failures.push(`throughput: ${counts.reason.message}`);
  const status = $("status");
  status.textContent = failures.length ? `Refresh failed — ${failures.join("; ")}` : `Updated ${new Date().toLocaleTimeString()}`;
  status.classList.toggle("error", failures.length > 0);
}

// ---- tables ----

/**
 * Fills tbody with one row per item, keyed by data-key: a row that stays is updated in place, so
 * its buttons keep working while the page refreshes. A column is [field, value, text?, className?,
 * title?]: the cell shows text (else the value); the raw value goes in data-value, for whoever
 * reads the page by machine.
 */
function renderRows(tbody, items, key, columns, actions) {
  const existing = new Map([...tbody.rows].map((row) => [row.dataset.key, row]));
  const rows = items.slice(0, MAX_ROWS).map((item) => {
    let row = existing.get(key(item));
    if (!row) {
      row = document.createElement("tr");
      row.dataset.key = key(item);
      for (const [field] of columns(item)) {
        const cell = row.insertCell();
        cell.dataset.field = field;
      }
      if (actions) row.insertCell().append(...actions(item));
    }
    columns(item).forEach(([field, value, text, className, title], i) => {
      const cell = row.cells[i];
      cell.textContent = text ?? String(value ?? "–");
      cell.title = title ?? "";
      cell.dataset.value = value ?? "";
      cell.className = className ?? (typeof value === "number" && text == null ? "num" : "");
    });
    return row;
  });
  tbody.replaceChildren(...rows);
  if (items.length === 0) {
    const empty = tbody.insertRow().insertCell();
    empty.colSpan = tbody.closest("table").tHead.rows[0].cells.length;
    empty.className = "empty";
    empty.textContent = "none";
  }
}

/** A node by its host and port; the full Pekko address in the title. */
function nodeColumn(address) {
  const at = address.lastIndexOf("@");
  return ["node", address, at < 0 ? address : address.slice(at + 1), "", address];
}

function counted(id, items) {
  $(id).textContent = items.length > MAX_ROWS ? `${MAX_ROWS} of ${items.length}` : `(${items.length})`;
}

function renderCluster(view) {
  renderRows($("members"), view.members, (m) => m.address, (m) => [
    ["address", m.address],
    ["status", m.status, null, m.status === "Up" ? "ok" : "warn"],
    ["reachable", m.reachable, m.reachable ? "yes" : "no", m.reachable ? "ok" : "bad"],
  ]);
  renderRows($("nodes"), view.nodes, (n) => n.address, (n) => [
    nodeColumn(n.address), ["shards", n.shards], ["gateways", n.gateways],
  ]);
  const gateways = [...view.gateways].sort((a, b) => b.bufferedBytes - a.bufferedBytes || a.id.localeCompare(b.id));
  counted("gateways-count", gateways);
  renderRows($("gateways"), gateways, (g) => g.id, (g) => [
    ["id", g.id],
    nodeColumn(g.node),
    ["bufferedDeltas", g.bufferedDeltas],
    ["bufferedBytes", g.bufferedBytes, bytes(g.bufferedBytes), "num"],
    ["sessions", g.sessions],
    ["lastFlush", g.lastFlushSeq, lastFlush(g)],
    ["flushFailures", g.flushFailures, null, g.flushFailures > 0 ? "num bad" : "num"],
    ["backpressure", g.backpressure, backpressure(g), g.backpressure ? "bad" : ""],
  ], (g) => [button("Flush", `flush ${g.id}`, () => flush(g.id))]);
  counted("streams-count", view.streams);
  renderRows($("streams"), view.streams, (s) => s.id, (s) => [
    ["id", s.id], nodeColumn(s.node), ["contentType", s.contentType], ["tail", s.tail, null, "offset", s.tail],
    ["closed", s.closed, s.closed ? "closed" : "open"],
  ]);
  counted("stores-count", view.stores);
  renderRows($("stores"), view.stores, (s) => s.id, (s) => [
    ["id", s.id], nodeColumn(s.node), ["backendId", s.backendId], ["head", s.head], ["events", s.events],
    ["sessions", s.sessions],
  ]);
}

function renderBackends(backends) {
  renderRows($("backends"), backends, (b) => `${b.location}/${b.id}`, (b) => [
    ["id", b.id],
    ["location", b.location],
    ["url", b.url],
    ["health", b.health, null, `health ${b.health}`],
    ["latency", b.latency, b.latency == null ? "–" : `${b.latency} ms`, "num"],
    ["lastCheck", b.last_check, b.last_check ? ago(b.last_check) : "not checked"],
  ]);
}

function button(label, name, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = label.toLowerCase();
  b.setAttribute("aria-label", name);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await onClick();
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

function lastFlush(g) {
  if (g.lastFlushSeq === 0) return "never";
  return g.lastFlushAt ? `#${g.lastFlushSeq} · ${ago(g.lastFlushAt)}` : `#${g.lastFlushSeq} · before this node's start`;
}

function backpressure(g) {
  const refused = g.throttledPushes > 0 ? ` · ${g.throttledPushes} pushes refused` : "";
  return (g.backpressure ? "refusing pushes" : "no") + refused;
}

// ---- actions ----

function actionResult(text, failed) {
  const result = $("action-result");
  result.textContent = text;
  result.classList.toggle("error", failed);
  result.hidden = false;
}

async function flush(gatewayId) {
  try {
    const done = await api("POST", `/v1/admin/flush/${encodeURIComponent(gatewayId)}`);
    actionResult(done.flushed ? `Flushed ${gatewayId}: flush #${done.seq}, ${done.rows} rows, ${bytes(done.bytes)} in ${done.files.length} files`
      : `Nothing to flush on ${gatewayId}`, false);
  } catch (error) {
    actionResult(`Flush of ${gatewayId} refused: ${error.message}`, true);
  }
  await refresh();
}

async function bumpClaims(userId) {
  try {
    const now = await api("POST", `/v1/admin/claims-version/${encodeURIComponent(userId)}`);
    actionResult(`Claims version of ${now.userId} is now ${now.version}`, false);
  } catch (error) {
    actionResult(`Claims version of ${userId} not raised: ${error.message}`, true);
  }
}

// ---- the chart: per-second rates between two readings of the node's counters ----

function renderThroughput(counts) {
  if (lastCounts && counts.atMillis > lastCounts.atMillis) {
    const seconds = (counts.atMillis - lastCounts.atMillis) / 1000;
    const point = Object.fromEntries(SERIES.map(({ key }) => [key, Math.max(0, counts[key] - lastCounts[key]) / seconds]));
    rates.push(point);
    if (rates.length > CHART_POINTS) rates.shift();
    for (const { key } of SERIES) $(`rate-${key}`).textContent = point[key].toFixed(1);
  }
  lastCounts = counts;
  drawChart();
}

function drawChart() {
  const canvas = $("chart");
  // drawn at the size it is shown, in device pixels, so lines stay sharp at any width
  const scale = window.devicePixelRatio || 1;
  canvas.width = Math.round(canvas.clientWidth * scale);
  canvas.height = Math.round(canvas.clientHeight * scale);
  const ctx = canvas.getContext("2d");
  ctx.scale(scale, scale);
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const pad = { left: 48, right: 8, top: 8, bottom: 18 };
  ctx.clearRect(0, 0, width, height);
  const top = Math.max(1, ...rates.flatMap((p) => SERIES.map(({ key }) => p[key])));
  const x = (i) => pad.left + (i / (CHART_POINTS - 1)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = "#d4d4d8";
  ctx.fillStyle = "#71717a";
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  for (const v of [0, top / 2, top]) {
    ctx.beginPath();
    ctx.moveTo(pad.left, y(v));
    ctx.lineTo(width - pad.right, y(v));
    ctx.stroke();
    ctx.fillText(v >= 10 ? v.toFixed(0) : v.toFixed(1), 4, y(v) + 4);
  }
  ctx.fillText(`last ${CHART_POINTS * POLL_MS / 1000} s`, pad.left, height - 4);
  const offset = CHART_POINTS - rates.length;
  for (const { key, color, width: lineWidth } of [...SERIES].sort((a, b) => b.width - a.width)) {
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    rates.forEach((p, i) => (i === 0 ? ctx.moveTo(x(offset + i), y(p[key])) : ctx.lineTo(x(offset + i), y(p[key]))));
    ctx.stroke();
  }
}

// ---- wiring ----

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("token").value.trim());
});
$("sign-out").addEventListener("click", () => signOut());
$("claims-form").addEventListener("submit", (event) => {
  event.preventDefault();
  bumpClaims($("claims-user").value.trim());
});

if (token !== null) {
  showDashboard();
}
