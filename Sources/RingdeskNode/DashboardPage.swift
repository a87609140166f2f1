/// The live dashboard, bundled in the binary (no CDN, no build step): one HTML page whose script
/// follows `GET /v1/dashboard/stream` (NDJSON snapshots over the same HTTP/2 connection) and
/// reads `GET /v1/tickets/{id}` for the ticket view. Browsers speak HTTP/2 only over TLS, so open
/// it on a node started with `tls_cert`/`tls_key` (see docs/operations.md).
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ringdesk dashboard</title>
<style>
  :root { --bg:#0f1419; --panel:#182029; --text:#e6e9ec; --dim:#8b98a5; --red:#e5534b; --yellow:#d4a72c; --green:#57ab5a; --accent:#539bf5; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:10px 18px; background:#0b0f13; border-bottom:1px solid #263240; }
  header h1 { font-size:18px; margin:0; }
  #live { padding:2px 8px; border-radius:10px; background:#263240; color:var(--dim); }
  #live.on { background:#1b4721; color:#8ddb8c; }
  main { display:grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap:14px; padding:14px; }
  section { background:var(--panel); border-radius:8px; padding:12px 14px; }
  section h2 { margin:0 0 8px; font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); }
  .kpis { display:grid; grid-template-columns: repeat(3, 1fr); gap:10px; }
  .kpi b { display:block; font-size:22px; }
  .kpi span { color:var(--dim); font-size:12px; }
  table { width:100%; border-collapse:collapse; }
  td, th { padding:4px 6px; text-align:left; border-bottom:1px solid #263240; font-variant-numeric: tabular-nums; }
  th { color:var(--dim); font-weight:500; }
  .u-red { color:var(--red); } .u-yellow { color:var(--yellow); } .u-green { color:var(--green); }
  .late { color:var(--red); font-weight:600; }
  .bar { height:8px; background:#263240; border-radius:4px; overflow:hidden; width:120px; display:inline-block; vertical-align:middle; }
  .bar i { display:block; height:100%; background:var(--accent); }
  .dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:6px; }
  .alive { background:var(--green); } .suspect { background:var(--yellow); } .dead, .down, .left { background:var(--red); }
  svg { width:100%; height:120px; background:#11181f; border-radius:6px; }
  a { color:var(--accent); cursor:pointer; }
  #ticket pre { white-space:pre-wrap; color:var(--dim); margin:2px 0 0; font-size:12px; }
</style>
</head>
<body>
<header>
  <h1>Ringdesk</h1>
  <span>node <b id="node-id">…</b></span>
  <span id="live">connecting</span>
  <span style="color:var(--dim)">frames <b id="frames">0</b> · updated <b id="updated">–</b></span>
</header>
<main>
  <section>
    <h2>Cluster</h2>
    <table><thead><tr><th>Node</th><th>Region</th><th>Status</th></tr></thead><tbody id="cluster"></tbody></table>
  </section>
  <section>
    <h2>Live KPIs</h2>
    <div class="kpis">
      <div class="kpi"><b id="kpi-fr-p50">–</b><span>first response p50</span></div>
      <div class="kpi"><b id="kpi-fr-sla">–</b><span>first-response SLA</span></div>
      <div class="kpi"><b id="kpi-resolution-sla">–</b><span>resolution SLA</span></div>
      <div class="kpi"><b id="kpi-resolution-rate">–</b><span>resolution rate</span></div>
      <div class="kpi"><b id="kpi-csat">–</b><span>CSAT (1–5)</span></div>
      <div class="kpi"><b id="queued-total">–</b><span>queued now</span></div>
    </div>
  </section>
  <section>
    <h2>Over time</h2>
    <svg id="chart" viewBox="0 0 400 120" preserveAspectRatio="none"></svg>
    <div style="color:var(--dim);font-size:12px"><span style="color:var(--accent)">■</span> queued <span style="color:var(--green)">■</span> first-response SLA % (last <span id="chart-span">0</span> frames)</div>
  </section>
  <section>
    <h2>Queues</h2>
    <table><thead><tr><th>Urgency</th><th>Region</th><th>Queued</th><th>Next due in</th></tr></thead><tbody id="queues"></tbody></table>
  </section>
  <section>
    <h2>Agents (<span id="agents-available">0</span> available)</h2>
    <table><thead><tr><th>Agent</th><th>Presence</th><th>Load</th></tr></thead><tbody id="agents"></tbody></table>
  </section>
  <section>
    <h2>Most urgent open tickets</h2>
    <table><thead><tr><th>Ticket</th><th>Urgency</th><th>Status</th><th>Due in</th><th>Agent</th></tr></thead><tbody id="urgent"></tbody></table>
  </section>
  <section id="ticket" style="grid-column: 1 / -1; display:none">
    <h2>Ticket <span id="ticket-id"></span></h2>
    <div id="ticket-body"></div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c]));
const pct = (v) => v == null ? "–" : v.toFixed(1) + "%";
const dur = (s) => s == null ? "–" : (Math.abs(s) < 90 ? Math.round(s) + " s" : Math.abs(s) < 5400 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h");
let frames = 0, last = null, history = [];

function countdown(iso) {
  if (!iso) return "–";
  const left = (Date.parse(iso) - Date.now()) / 1000;
  return left < 0 ? `<span class="late">${dur(-left)} late</span>` : dur(left);
}

function render(snap) {
  last = snap; frames += 1;
  $("frames").textContent = frames;
  $("node-id").textContent = snap.node;
  $("updated").textContent = new Date(snap.generated_at).toLocaleTimeString();
  const k = snap.kpis;
  $("kpi-fr-p50").textContent = k.first_response_time && k.first_response_time.p50 != null ? dur(k.first_response_time.p50) : "–";
  $("kpi-fr-sla").textContent = pct(k.first_response_sla_pct);
  $("kpi-resolution-sla").textContent = pct(k.resolution_sla_pct);
  $("kpi-resolution-rate").textContent = pct(k.resolution_rate_pct);
  $("kpi-csat").textContent = k.csat_average == null ? "–" : k.csat_average.toFixed(2);
  const queued = snap.queues.reduce((n, q) => n + q.queued, 0);
  $("queued-total").textContent = queued;
  $("cluster").innerHTML = snap.cluster.map((m) =>
    `<tr data-node="${esc(m.node)}" data-status="${esc(m.status)}"><td>${esc(m.node)}</td><td>${esc(m.region || "–")}</td><td><span class="dot ${esc(m.status)}"></span>${esc(m.status)}</td></tr>`).join("");
  $("queues").innerHTML = snap.queues.map((q) =>
    `<tr><td class="u-${q.urgency}">${q.urgency}</td><td>${esc(q.region)}</td><td>${q.queued}</td><td data-due="${esc(q.next_due)}">${countdown(q.next_due)}</td></tr>`).join("")
    || `<tr><td colspan="4" style="color:var(--dim)">no queued tickets</td></tr>`;
  $("agents-available").textContent = snap.agents.filter((a) => a.presence === "available").length;
  $("agents").innerHTML = snap.agents.map((a) => {
    const share = a.capacity ? Math.min(100, 100 * a.load / a.capacity) : 0;
    return `<tr><td>${esc(a.name)} <span style="color:var(--dim)">${esc(a.id)}</span></td><td>${esc(a.presence)}</td><td><span class="bar"><i style="width:${share}%"></i></span> ${a.load}/${a.capacity}</td></tr>`;
  }).join("");
  $("urgent").innerHTML = snap.urgent.map((t) =>
    `<tr><td><a onclick="showTicket('${esc(t.id)}')">${esc(t.id)}</a></td><td class="u-${t.urgency}">${t.urgency}</td><td>${esc(t.status)}</td><td data-due="${esc(t.first_response_due)}">${countdown(t.first_response_due)}</td><td>${esc(t.agent_id || "–")}</td></tr>`).join("");
  history.push({ queued, sla: k.first_response_sla_pct });
  if (history.length > 300) history.shift();
  drawChart();
}

function drawChart() {
  const w = 400, h = 120, n = history.length;
  $("chart-span").textContent = n;
  if (n < 2) return;
  const maxQ = Math.max(1, ...history.map((p) => p.queued));
  const x = (i) => (i / (n - 1)) * w;
  const line = (f, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${history.map((p, i) => `${x(i).toFixed(1)},${f(p).toFixed(1)}`).join(" ")}"/>`;
  $("chart").innerHTML = line((p) => h - 4 - (p.queued / maxQ) * (h - 8), "#539bf5")
    + line((p) => h - 4 - ((p.sla ?? 0) / 100) * (h - 8), "#57ab5a");
}

async function follow() {
  for (;;) {
    try {
      const interval = new URLSearchParams(location.search).get("interval") || "1";
      const res = await fetch("/v1/dashboard/stream?interval=" + encodeURIComponent(interval), { cache: "no-store" });
      if (!res.ok) throw new Error("HTTP " + res.status);
      $("live").textContent = "live"; $("live").className = "on";
      const reader = res.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let i;
        while ((i = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, i); buffer = buffer.slice(i + 1);
          if (line) { const msg = JSON.parse(line); if (msg.type === "snapshot") render(msg.snapshot); }
        }
      }
    } catch (e) { /* reconnect below */ }
    $("live").textContent = "reconnecting"; $("live").className = "";
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function showTicket(id) {
  location.hash = "ticket=" + encodeURIComponent(id);
  const res = await fetch("/v1/tickets/" + encodeURIComponent(id));
  const t = await res.json();
  $("ticket").style.display = "block";
  $("ticket-id").textContent = id;
  if (!res.ok) { $("ticket-body").textContent = t.message || ("HTTP " + res.status); return; }
  const rows = (t.history || []).map((e) => {
    const d = e.details || {};
    const why = e.kind === "offered" && d.score_total != null
      ? `<pre>why ${esc(d.agent_id)}: total ${esc(d.score_total)} = slack ${esc(d.score_slack)} + breach ${esc(d.score_breach ?? 0)} + urgency ${esc(d.score_urgency)} + waited ${esc(d.score_waited)} + skill fit ${esc(d.score_skill_fit)} + proficiency ${esc(d.score_proficiency)} + region ${esc(d.score_region)} + idle ${esc(d.score_idle)} + balance ${esc(d.score_balance ?? 0)} + stickiness ${esc(d.score_stickiness)} + scarcity ${esc(d.score_scarcity ?? 0)} (level ${esc(d.relaxation_level)})</pre>` : "";
    return `<tr><td>${new Date(e.at).toLocaleTimeString()}</td><td>${esc(e.kind)}</td><td>${esc(e.from || "")} → ${esc(e.to)}</td><td>${esc(e.actor && (e.actor.id || e.actor.kind))}${why}</td></tr>`;
  }).join("");
  $("ticket-body").innerHTML = `<p>${esc(t.category)} / ${esc(t.channel)} · <span class="u-${t.urgency}">${esc(t.urgency)}</span> · ${esc(t.status)} · region ${esc(t.customer && t.customer.region)} · agent ${esc(t.assigned_agent_id || "–")}</p>`
    + `<table id="ticket-history"><thead><tr><th>At</th><th>Event</th><th>Status</th><th>By / why</th></tr></thead><tbody>${rows}</tbody></table>`;
}

setInterval(() => { for (const el of document.querySelectorAll("[data-due]")) el.innerHTML = countdown(el.dataset.due); }, 1000);
const m = /ticket=([^&]+)/.exec(location.hash);
if (m) showTicket(decodeURIComponent(m[1]));
follow();
</script>
</body>
</html>
"""#
}
