// upsight fleet UI: sorting of every table and live refresh. Polls the read API of the open
// page (main[data-api]) every main[data-refresh-ms] and updates totals, facts and rows in
// place (rows are added and removed too), keeping the chosen sort. Elements are found by
// data-* attributes and written with textContent only (never innerHTML). The value rules
// mirror upsight_http::html and src/ui/format.rs; the table markup is src/ui/table.rs.
'use strict';
(function () {
  const MISSING = '\u2014';
  const YEAR_10000_UNIX = 253402300800;
  const RANK = { up: 0, stale: 1, down: 2 };
  const main = document.querySelector('main[data-poll]');
  if (!main) return;
  const live = document.querySelector('[data-live]');
  const period = Math.max(1000, Number(main.dataset.refreshMs) || 5000);
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const enc = encodeURIComponent;

  // === values ===
  function finite(v) { return typeof v === 'number' && isFinite(v); }
  function percent(r) { return finite(r) ? (Math.round(r * 100) + 0) + ' %' : MISSING; }
  function duration(s) {
    if (!finite(s) || s < 0) return MISSING;
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function watts(w) { return finite(w) ? Math.round(w) + ' W' : MISSING; }
  function age(now, unix) { return duration(Math.max(0, now - unix)) + ' ago'; }
  function utc(unix) {
    if (!finite(unix) || unix < 0 || unix >= YEAR_10000_UNIX) return MISSING;
    return new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
  }
  function text(t) { return { text: t, sort: t }; }
  function num(n) { return { text: String(n), sort: String(n) }; }
  function measured(t, v) { return { text: t, sort: finite(v) ? String(v) : null }; }
  function badge(h) { return { text: h, sort: String(RANK[h]), badge: h }; }

  // === the table contract (src/ui/table.rs) ===
  function setText(node, t) { if (node.textContent !== t) node.textContent = t; }
  function setClass(node, c) { if (node.className !== c) node.className = c; }

  function newRow(cols, r) {
    const tr = document.createElement('tr');
    tr.dataset.key = r.key;
    if (r.id) tr.id = r.id;
    cols.forEach(function (col) {
      const td = tr.appendChild(document.createElement('td'));
      td.dataset.field = col;
      const c = r.cells[col] || {};
      if (c.href !== undefined) td.appendChild(document.createElement('a'));
      else if (c.badge !== undefined) td.appendChild(document.createElement('span'));
    });
    tr.classList.add('fresh');
    tr.addEventListener('animationend', () => tr.classList.remove('fresh'), { once: true });
    return tr;
  }

  function fillRow(tr, r) {
    Array.from(tr.cells).forEach(function (td) {
      const c = r.cells[td.dataset.field];
      if (!c) return;
      const inner = td.firstElementChild || td;
      setText(inner, c.text);
      if (c.href !== undefined && inner.getAttribute('href') !== c.href) inner.setAttribute('href', c.href);
      if (c.badge !== undefined) setClass(inner, 'badge badge-' + c.badge);
      if (c.sort === null) td.removeAttribute('data-sort');
      else if (td.dataset.sort !== c.sort) td.dataset.sort = c.sort;
    });
    Object.keys(r.classes).forEach((name) => tr.classList.toggle(name, !!r.classes[name]));
  }

  function sortKey(tr, index, type) {
    const td = tr.cells[index];
    const raw = td ? td.dataset.sort : undefined;
    if (raw === undefined) return null;
    if (type !== 'number') return raw;
    const n = parseFloat(raw);
    return isFinite(n) ? n : null;
  }

  // The rows in API order, then by the column the user chose (missing values last either way,
  // ties in API order). Until the user sorts, the API order is the server's declared sort.
  function placeRows(table) {
    const tbody = table.tBodies[0];
    const rows = Array.from(tbody.rows).sort((a, b) => a.dataset.order - b.dataset.order);
    const th = table.querySelector('th[aria-sort]');
    if (th && table.dataset.sorted === 'user') {
      const index = th.cellIndex;
      const type = th.dataset.type;
      const sign = th.getAttribute('aria-sort') === 'descending' ? -1 : 1;
      rows.sort(function (a, b) {
        const x = sortKey(a, index, type);
        const y = sortKey(b, index, type);
        let c = 0;
        if (x === null || y === null) c = (x === null) - (y === null);
        else c = sign * (type === 'number' ? x - y : collator.compare(x, y));
        return c || a.dataset.order - b.dataset.order;
      });
    }
    rows.forEach(function (tr, i) {
      if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
    });
  }

  function syncTable(table, rows) {
    const cols = Array.from(table.tHead.rows[0].cells).map((th) => th.dataset.col);
    const tbody = table.tBodies[0];
    const old = new Map(Array.from(tbody.rows).map((tr) => [tr.dataset.key, tr]));
    rows.forEach(function (r, i) {
      let tr = old.get(r.key);
      if (tr) old.delete(r.key);
      else tr = tbody.appendChild(newRow(cols, r));
      fillRow(tr, r);
      tr.dataset.order = String(i);
    });
    old.forEach((tr) => tr.remove());
    placeRows(table);
    const empty = table.nextElementSibling;
    if (empty && empty.hasAttribute('data-empty')) empty.hidden = rows.length > 0;
  }

  document.querySelectorAll('table[data-table]').forEach(function (table) {
    Array.from(table.tBodies[0].rows).forEach((tr, i) => { tr.dataset.order = String(i); });
    table.querySelectorAll('th[data-col] button').forEach(function (button) {
      button.addEventListener('click', function () {
        const th = button.closest('th');
        const dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        table.querySelectorAll('th[aria-sort]').forEach((other) => other.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', dir);
        table.dataset.sorted = 'user';
        placeRows(table);
      });
    });
  });

  // === the pages ===
  function updateTotals(t) {
    main.querySelectorAll('[data-total]').forEach(function (el) {
      const v = t[el.dataset.total];
      if (!finite(v)) return;
      setText(el.querySelector('dd'), String(v));
      if (el.hasAttribute('data-alerting')) el.classList.toggle('is-alert', v > 0);
    });
  }
  function counts(t) {
    const cells = {};
    ['members', 'members_up', 'members_stale', 'members_down', 'upses', 'upses_on_battery',
      'upses_low_runtime', 'upses_stale', 'upses_down'].forEach((k) => { cells[k] = num(t[k]); });
    return cells;
  }
  function totalsClasses(t) {
    return {
      'on-battery': t.upses_on_battery > 0,
      'low-runtime': t.upses_low_runtime > 0,
      'has-down': t.members_down + t.upses_down > 0,
    };
  }
  function deviceHealth(member, d) {
    if (member === 'down' || (!d.is_up && !d.is_stale)) return 'down';
    if (d.is_stale || member === 'stale') return 'stale';
    return 'up';
  }

  function fleetRows(body) {
    return body.groups.map((g) => ({
      key: g.group,
      id: 'group-' + g.group,
      classes: totalsClasses(g.totals),
      cells: Object.assign(counts(g.totals), {
        group: { text: g.group, sort: g.group, href: '/groups/' + enc(g.group) },
      }),
    }));
  }

  function groupRows(body, now) {
    return body.members.map((m) => ({
      key: m.identity,
      id: 'member-' + m.identity,
      classes: totalsClasses(m.totals),
      cells: Object.assign(counts(m.totals), {
        identity: { text: m.identity, sort: m.identity, href: '/members/' + enc(body.group) + '/' + enc(m.identity) },
        member_number: num(m.member_number),
        health: badge(m.health),
        last_seen: { text: age(now, m.last_seen_unix), sort: String(m.last_seen_unix) },
        software_version: text(m.software_version),
      }),
    }));
  }

  function upsRows(body) {
    const threshold = main.querySelector('[data-low-runtime-s]');
    const low = threshold ? Number(threshold.dataset.lowRuntimeS) : 0;
    return body.devices.map(function (d) {
      const health = deviceHealth(body.health, d);
      const counted = health !== 'down' && d.is_up;
      const status = d.status || [];
      return {
        key: d.name,
        id: 'ups-' + d.name,
        classes: {
          'on-battery': counted && status.indexOf('OB') >= 0,
          'low-runtime': counted && finite(d.runtime_seconds) && d.runtime_seconds < low,
        },
        cells: {
          name: { text: d.name, sort: d.name, href: '#ups-' + d.name },
          source: text(d.source),
          health: badge(health),
          status: text(status.length ? status.join(' ') : MISSING),
          charge: measured(percent(d.charge_ratio), d.charge_ratio),
          runtime: measured(duration(d.runtime_seconds), d.runtime_seconds),
          load: measured(percent(d.load_ratio), d.load_ratio),
          power: measured(watts(d.real_power_watts), d.real_power_watts),
          last_transfer: measured(utc(d.last_transfer_unix), d.last_transfer_unix),
        },
      };
    });
  }

  function updateFacts(body, now) {
    const facts = {
      member_number: String(body.member_number),
      health: body.health,
      last_seen: age(now, body.last_seen_unix),
      software_version: body.software_version,
      scrape_target: body.scrape_target || MISSING,
    };
    main.querySelectorAll('[data-fact]').forEach(function (el) {
      const name = el.dataset.fact;
      if (!(name in facts)) return;
      setText(el, facts[name]);
      if (name === 'health') setClass(el, 'badge badge-' + body.health);
    });
  }

  const table = main.querySelector('table[data-table]');
  const PAGES = {
    fleet: function (body) { updateTotals(body.totals); syncTable(table, fleetRows(body)); },
    group: function (body, now) { updateTotals(body.totals); syncTable(table, groupRows(body, now)); },
    member: function (body, now) { updateFacts(body, now); syncTable(table, upsRows(body)); },
  };

  // The server's clock (the Date header) dates the ages, so a skewed browser clock does not.
  async function fetchPage() {
    const res = await fetch(main.dataset.api, {
      credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
    });
    if (!res.ok) {
      const reason = { 401: 'session expired: reload to log in', 404: 'no longer in the fleet' };
      throw new Error(reason[res.status] || 'HTTP ' + res.status);
    }
    const date = Date.parse(res.headers.get('Date') || '');
    const now = Math.floor((isFinite(date) ? date : Date.now()) / 1000);
    return [await res.json(), now];
  }

  async function tick() {
    try {
      const [body, now] = await fetchPage();
      const update = PAGES[main.dataset.poll];
      if (update && table) update(body, now);
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
    setTimeout(tick, period);
  }

  setTimeout(tick, period);
})();
