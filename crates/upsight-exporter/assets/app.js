// upsight live refresh: polls the same-origin JSON API every 2 s and updates the page in place.
// Elements are found by data-* attributes; data is written with textContent only (never
// innerHTML). The formatting rules mirror src/dashboard/format.rs exactly.
'use strict';
(function () {
  const POLL_MS = 2000;
  const MAX_ROWS = 200;
  const MISSING = '\u2014';
  const main = document.querySelector('main[data-poll]');
  if (!main) return;
  const live = document.querySelector('[data-live]');

  function finite(v) { return typeof v === 'number' && isFinite(v); }
  function percent(r) { return finite(r) ? (Math.round(r * 100) + 0) + ' %' : MISSING; }
  function duration(s) {
    if (!finite(s) || s < 0) return MISSING;
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function unit(v, decimals, u) {
    if (!finite(v)) return MISSING;
    return u ? v.toFixed(decimals) + ' ' + u : v.toFixed(decimals);
  }
  const SAMPLE_UNITS = {
    ratio: [1, '%', 100], volts: [1, 'V'], amperes: [2, 'A'], hertz: [1, 'Hz'],
    watts: [0, 'W'], voltamperes: [0, 'VA'], celsius: [1, '\u00b0C'],
  };
  function sample(metric, v) {
    const suffix = metric.split('_').pop();
    if (suffix === 'seconds') return duration(v);
    const rule = SAMPLE_UNITS[suffix] || [2, ''];
    return unit(finite(v) ? v * (rule[2] || 1) : v, rule[0], rule[1]);
  }
  function time(rfc3339) { return rfc3339.replace('T', ' ').replace('Z', ' UTC'); }
  function badge(d) {
    if (d.is_stale) return ['stale', 'stale'];
    if (!d.is_up) return d.outcome === 'pending' ? ['pending', 'pending'] : ['down', 'down: ' + d.outcome];
    const has = (f) => (d.status || []).indexOf(f) >= 0;
    if (has('LB')) return ['lb', 'LB'];
    if (has('OFF')) return ['off', 'OFF'];
    if (has('OB')) return ['ob', 'OB'];
    if (has('OL')) return ['ol', 'OL'];
    return ['up', 'up'];
  }

  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

  function updateDevice(el, d) {
    const fields = {
      charge: percent(d.charge_ratio),
      runtime: duration(d.runtime_seconds),
      load: percent(d.load_ratio),
      power: unit(d.real_power_watts, 0, 'W'),
      voltage: unit(d.input_voltage_volts, 1, 'V'),
      flags: d.status && d.status.length ? d.status.join(' ') : MISSING,
      last_success: d.last_success ? time(d.last_success) : MISSING,
    };
    if (finite(d.polls)) fields.polls = String(d.polls);
    el.querySelectorAll('[data-field]').forEach(function (node) {
      const name = node.dataset.field;
      if (name === 'badge') {
        const b = badge(d);
        setText(node, b[1]);
        const cls = 'badge badge-' + b[0];
        if (node.className !== cls) node.className = cls;
      } else if (name in fields) {
        setText(node, fields[name]);
      }
    });
    if (!d.samples) return;
    const values = new Map();
    d.samples.forEach(function (s) {
      values.set(s.metric + '|' + (s.phase || '') + '|' + (s.outlet || ''), sample(s.metric, s.value));
    });
    el.querySelectorAll('[data-sample]').forEach(function (node) {
      setText(node, values.has(node.dataset.sample) ? values.get(node.dataset.sample) : MISSING);
    });
  }

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function eventRow(e) {
    const row = document.createElement('tr');
    row.dataset.key = e.device + ':' + e.seq;
    row.dataset.kind = e.kind;
    row.className = 'fresh';
    const when = document.createElement('time');
    when.dateTime = e.at;
    when.textContent = time(e.at);
    cell(row, '').appendChild(when);
    const link = document.createElement('a');
    link.href = '/devices/' + encodeURIComponent(e.device);
    link.textContent = e.device;
    cell(row, '').appendChild(link);
    cell(row, e.kind);
    const sev = document.createElement('span');
    sev.className = 'sev sev-' + e.severity;
    sev.textContent = e.severity;
    cell(row, '').appendChild(sev);
    cell(row, e.detail || '');
    return row;
  }

  function addEvents(tbody, events) {
    const seen = new Set();
    tbody.querySelectorAll('tr[data-key]').forEach((r) => seen.add(r.dataset.key));
    events.forEach(function (e) {
      if (seen.has(e.device + ':' + e.seq)) return;
      const empty = tbody.querySelector('tr[data-empty]');
      if (empty) empty.remove();
      tbody.insertBefore(eventRow(e), tbody.firstChild);
    });
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(tbody.rows.length - 1);
  }

  async function getJSON(url) {
    const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(res.status === 401 ? 'session expired' : 'HTTP ' + res.status);
    return res.json();
  }

  async function refreshDevices() {
    const body = await getJSON('/api/v1/devices');
    const byName = new Map(body.devices.map((d) => [d.name, d]));
    main.querySelectorAll('[data-device]').forEach(function (el) {
      const d = byName.get(el.dataset.device);
      if (d) updateDevice(el, d);
    });
  }

  async function refreshDevice() {
    const el = main.querySelector('[data-device]');
    if (!el) return;
    updateDevice(el, await getJSON('/api/v1/devices/' + encodeURIComponent(el.dataset.device)));
  }

  async function refreshEvents() {
    const tbody = main.querySelector('tbody[data-events]');
    if (!tbody) return;
    const query = tbody.dataset.events;
    const body = await getJSON('/api/v1/events?' + (query ? query + '&' : '') + 'limit=20');
    addEvents(tbody, body.events);
  }

  const REFRESH = {
    devices: [refreshDevices],
    device: [refreshDevice, refreshEvents],
    events: [refreshEvents],
  };

  async function tick() {
    try {
      for (const refresh of REFRESH[main.dataset.poll] || []) await refresh();
      if (live) {
        live.classList.remove('offline');
        setText(live, 'live \u00b7 ' + new Date().toLocaleTimeString());
      }
    } catch (err) {
      if (live) {
        live.classList.add('offline');
        setText(live, 'offline: ' + err.message);
      }
    }
    setTimeout(tick, POLL_MS);
  }

  setTimeout(tick, POLL_MS);
})();
