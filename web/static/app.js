/* SPDX-License-Identifier: GPL-2.0-or-later */
/* swdflashd status page: plain JavaScript, no framework, no CDN.
 *
 * The page lives on the Server-Sent Events stream GET /api/v1/events
 * (events: hello, job, progress, target). On every (re)connect it reloads
 * the target and the job list over the JSON API, so it also recovers after
 * the daemon restarts. The token for changing requests is asked for when
 * needed and kept in sessionStorage only. */
(function () {
  'use strict';

  var TOKEN_KEY = 'swdflashd.token';
  var JOBS_SHOWN = 15;
  var STALL_MS = 45000;     /* no event and no heartbeat for this long: reconnect */

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    es: null, retryMs: 1000, retryTimer: 0, lastSeen: 0,
    jobs: new Map(),        /* id -> job object */
    target: null, station: '', version: '',
    rate: null,             /* {id, phase, samples: [[t, bytes]]} */
    file: null
  };

  /* ---------- small helpers ---------- */
  function text(el, s) { el.textContent = s == null ? '' : String(s); }
  function h(tag, cls, s) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (s != null) e.textContent = s;
    return e;
  }
  function fmtBytes(n) {
    if (n == null || isNaN(n)) return '–';
    if (n >= 1048576) return (n / 1048576).toFixed(n % 1048576 ? 2 : 0) + ' MiB';
    if (n >= 1024) return (n / 1024).toFixed(n % 1024 ? 1 : 0) + ' KiB';
    return n + ' B';
  }
  function fmtDuration(ms) {
    if (ms == null || isNaN(ms)) return '–';
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  }
  function fmtTime(v) {
    if (v == null) return '';
    var d = typeof v === 'number' ? new Date(v > 1e12 ? v : v * 1000) : new Date(v);
    if (isNaN(d.getTime())) return String(v);
    var now = new Date();
    return d.toDateString() === now.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }
  function hex(v, digits) {
    if (v == null) return '–';
    if (typeof v === 'string') return v;
    var s = v.toString(16).toUpperCase();
    while (s.length < digits) s = '0' + s;
    return s;
  }
  function pick(o, names) {
    for (var i = 0; i < names.length; i++) {
      var path = names[i].split('.'), v = o;
      for (var j = 0; v != null && j < path.length; j++) v = v[path[j]];
      if (v != null) return v;
    }
    return null;
  }
  function errorMessage(body, status) {
    if (body && body.error) return (body.error.message || body.error.code || 'error');
    return 'HTTP ' + status;
  }
  function getToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }
  function setToken(t) {
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: ask again next time */ }
  }
  function showResult(el, kind, msg) {
    el.hidden = false;
    el.className = 'result ' + kind;
    el.textContent = '';
    el.appendChild(h('span', null, kind === 'ok' ? '✔ ' : kind === 'bad' ? '✖ ' : 'ℹ '));
    el.appendChild(document.createTextNode(msg));
  }

  /* ---------- API ---------- */
  function api(method, path, body, headers) {
    var init = { method: method, headers: headers || {}, cache: 'no-store' };
    var tok = getToken();
    if (tok) init.headers['Authorization'] = 'Bearer ' + tok;
    if (body !== undefined) init.body = body;
    return fetch(path, init).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = t ? JSON.parse(t) : null; } catch (e) { j = null; }
        return { status: r.status, ok: r.ok, body: j };
      });
    });
  }

  function refresh() {
    api('GET', '/api/v1/target').then(function (r) {
      if (r.ok && r.body) renderTarget(r.body);
    }).catch(function () {});
    api('GET', '/api/v1/jobs?limit=' + JOBS_SHOWN).then(function (r) {
      if (!r.ok || !r.body) return;
      var list = Array.isArray(r.body) ? r.body : (r.body.jobs || []);
      state.jobs = new Map();
      list.forEach(function (j) { state.jobs.set(j.id, j); });
      renderJobs();
      renderRunning();
    }).catch(function () {});
  }

  /* ---------- event stream ---------- */
  function setLive(s, msg) {
    var el = $('live');
    el.dataset.state = s;
    text($('live-text'), msg);
    /* what is shown is only as fresh as the stream */
    document.body.classList.toggle('stale', s !== 'live');
    $('stale-banner').hidden = s === 'live';
  }

  function connect() {
    clearTimeout(state.retryTimer);
    if (state.es) state.es.close();
    var es = new EventSource('/api/v1/events');
    state.es = es;
    state.lastSeen = Date.now();
    es.onopen = function () {
      state.retryMs = 1000;
      state.lastSeen = Date.now();
      setLive('live', 'live');
      refresh();
    };
    es.onerror = function () {
      setLive('reconnecting', 'reconnecting…');
      if (es.readyState === EventSource.CLOSED) scheduleReconnect();
    };
    es.onmessage = function () { state.lastSeen = Date.now(); };
    es.addEventListener('hello', function (ev) {
      state.lastSeen = Date.now();
      var d = parse(ev);
      if (!d) return;
      if (d.name) { state.station = d.name; text($('station'), d.name); document.title = d.name + ' · swdflashd'; }
      if (d.version) text($('version'), 'swdflashd ' + d.version);
      if (d.target) renderTarget(d.target);
    });
    es.addEventListener('heartbeat', function () { state.lastSeen = Date.now(); });
    es.addEventListener('job', function (ev) { state.lastSeen = Date.now(); onJob(parse(ev), false); });
    es.addEventListener('progress', function (ev) { state.lastSeen = Date.now(); onJob(parse(ev), true); });
    es.addEventListener('target', function (ev) {
      state.lastSeen = Date.now();
      var d = parse(ev);
      if (d) renderTarget(d);
    });
  }
  function parse(ev) {
    try { return JSON.parse(ev.data); } catch (e) { return null; }
  }
  function scheduleReconnect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10000);
  }
  /* A proxy or a dead TCP peer can leave the stream open and silent; the
   * daemon sends a heartbeat comment every few seconds, which the browser
   * does not surface, so the stream also sends "heartbeat" events. */
  setInterval(function () {
    if (state.es && state.es.readyState === EventSource.OPEN && Date.now() - state.lastSeen > STALL_MS) {
      setLive('reconnecting', 'reconnecting…');
      connect();
    }
  }, 5000);

  /* Snapshots can arrive out of order (the 202 answer to an upload after
   * the stream already said "running"): never go back in a job's life. */
  var RANK = { queued: 0, running: 1 };
  function rank(st) { return st in RANK ? RANK[st] : 2; }
  function onJob(j, progress) {
    if (!j || j.id == null) return;
    var old = state.jobs.get(j.id);
    if (old && rank(j.state) < rank(old.state)) return;
    var merged = Object.assign({}, old || {}, j);
    state.jobs.set(j.id, merged);
    if (progress) sampleRate(merged);
    if (!progress || !old || old.state !== merged.state) renderJobs();
    renderRunning();
  }

  /* ---------- target ---------- */
  function renderTarget(t) {
    state.target = t;
    var kind = pick(t, ['probe_kind', 'probe.kind', 'kind']) || '?';
    text($('probe-kind'), kind);
    $('sim-badge').hidden = kind !== 'sim';
    var pdesc = pick(t, ['probe_desc', 'probe.desc', 'probe.description']) || kind;
    var p = t.probe || {};
    if (p.model) {
      /* a USB probe: model, firmware, serial and the voltage it measures */
      pdesc = p.model + ' ' + (p.firmware || '') + ', serial ' + (p.serial || '?') +
        (p.voltage_mv != null ? ', target ' + (p.voltage_mv / 1000).toFixed(2) + ' V' : '') +
        (p.warning ? ' (' + p.warning + ')' : '');
    }
    if (p.disconnected) pdesc = kind + ': DISCONNECTED (unplugged; picked up again when plugged back in)';
    text($('t-probe'), pdesc);
    var connected = !!pick(t, ['connected']);
    var locked = !!pick(t, ['locked']);
    var line = $('target-state'), icon, msg, st;
    if (!connected) {
      st = 'disconnected'; icon = '✖';
      msg = 'No target' + (t.error ? ': ' + t.error : '');
    } else if (locked) {
      st = 'locked'; icon = '⚠'; msg = 'Connected, LOCKED (APPROTECT): recover to unlock';
    } else {
      st = 'connected'; icon = '✔'; msg = 'Connected';
    }
    line.dataset.state = st;
    text(line.querySelector('.icon'), icon);
    text(line.querySelector('.text'), msg);
    var part = pick(t, ['part', 'name', 'info.name']);
    var variant = pick(t, ['variant', 'info.variant']);
    var fl = pick(t, ['flash_size', 'info.flash_size']);
    var ram = pick(t, ['ram_size', 'info.ram_size']);
    var unknown = connected && locked ? 'unknown (locked)' : '–';
    text($('t-part'), part ? part + (variant ? ' ' + variant : '') : unknown);
    text($('t-flash'), fl ? fmtBytes(fl) : unknown);
    text($('t-ram'), ram ? fmtBytes(ram) : unknown);
    var dev = pick(t, ['device_id', 'info.device_id']);
    text($('t-devid'), dev != null && dev !== 0 && dev !== '' ? hex(dev, 16) : unknown);
    text($('t-lock'), !connected ? '–' : locked ? '⚠ locked (APPROTECT)' : '✔ open');
  }

  /* ---------- jobs ---------- */
  function jobName(j) {
    var im = j.image || {};
    if (im.name) return im.name;
    if (j.kind && j.kind !== 'flash') return j.kind;
    return im.sha256 ? 'image ' + im.sha256.slice(0, 12) : 'job';
  }
  function resultIcon(s) {
    return { succeeded: '✔', failed: '✖', interrupted: '⚠', cancelled: '⊘', running: '▶', queued: '⋯' }[s] || '•';
  }
  function sortedJobs() {
    return Array.from(state.jobs.values()).sort(function (a, b) { return b.id - a.id; });
  }
  function cell(td, label) { td.dataset.label = label; return td; }
  function renderJobs() {
    var body = $('jobs-body');
    var list = sortedJobs().slice(0, JOBS_SHOWN);
    body.textContent = '';
    if (!list.length) {
      var tr0 = h('tr'); var td0 = h('td', 'muted', 'No jobs yet.'); td0.colSpan = 6;
      tr0.appendChild(td0); body.appendChild(tr0);
      return;
    }
    list.forEach(function (j) {
      var tr = h('tr');
      tr.dataset.jobId = j.id;
      tr.dataset.state = j.state;
      tr.appendChild(cell(h('td', 'num', j.id), '#'));
      var tdr = cell(h('td'), 'Result');
      var r = h('span', 'res ' + j.state);
      r.appendChild(h('span', null, resultIcon(j.state)));
      r.appendChild(h('span', null, j.state));
      tdr.appendChild(r);
      tr.appendChild(tdr);
      var tdf = cell(h('td', 'fw'), 'Firmware');
      tdf.appendChild(h('div', null, jobName(j)));
      if (j.error && (j.error.message || j.error.code))
        tdf.appendChild(h('div', 'err', j.error.message || j.error.code));
      tr.appendChild(tdf);
      var sha = j.image && j.image.sha256;
      var tds = cell(h('td', 'mono', sha ? sha.slice(0, 12) : '–'), 'SHA-256');
      if (sha) tds.title = sha;
      tr.appendChild(tds);
      var active = j.state === 'running' || j.state === 'queued';
      tr.appendChild(cell(h('td', 'num', !active && j.duration_ms != null ? fmtDuration(j.duration_ms) : '–'),
        'Duration'));
      var fin = pick(j, ['finished_at']);
      tr.appendChild(cell(h('td', 'num small', fin ? fmtTime(fin)
        : (j.started_at ? 'started ' + fmtTime(j.started_at) : 'queued ' + fmtTime(j.created_at))),
        'Finished'));
      body.appendChild(tr);
    });
  }

  function sampleRate(j) {
    var now = performance.now();
    var r = state.rate;
    if (!r || r.id !== j.id || r.phase !== j.phase) {
      r = state.rate = { id: j.id, phase: j.phase, samples: [] };
    }
    r.samples.push([now, j.bytes_done || 0]);
    while (r.samples.length > 2 && now - r.samples[0][0] > 4000) r.samples.shift();
  }
  function currentRate(j) {
    var r = state.rate;
    if (!r || r.id !== j.id || r.phase !== j.phase || r.samples.length < 2) return null;
    var a = r.samples[0], b = r.samples[r.samples.length - 1];
    if (b[0] - a[0] < 150 || b[1] <= a[1]) return null;
    return (b[1] - a[1]) * 1000 / (b[0] - a[0]);
  }

  function renderRunning() {
    var list = sortedJobs();
    var run = null, queued = 0;
    list.forEach(function (j) {
      if (j.state === 'running' && (!run || j.id > run.id)) run = j;
      if (j.state === 'queued') queued++;
    });
    $('job-idle').hidden = !!run;
    $('job-running').hidden = !run;
    text($('j-queue'), queued);
    if (!run) {
      var last = list.find(function (j) { return j.state !== 'queued'; });
      var idle = $('job-idle');
      idle.textContent = '';
      idle.appendChild(h('div', null, queued ? queued + ' job(s) queued.' : 'No job running.'));
      if (last) {
        var p = h('div', 'last');
        p.appendChild(document.createTextNode('Last: #' + last.id + ' ' + jobName(last) + ' '));
        var r = h('span', 'res ' + last.state);
        r.appendChild(h('span', null, resultIcon(last.state)));
        r.appendChild(h('span', null, last.state));
        p.appendChild(r);
        if (last.duration_ms != null) p.appendChild(document.createTextNode(' in ' + fmtDuration(last.duration_ms)));
        idle.appendChild(p);
      }
      return;
    }
    text($('j-name'), jobName(run));
    text($('j-id'), '#' + run.id);
    text($('j-phase'), run.phase || 'starting');
    var total = run.bytes_total || 0, done = run.bytes_done || 0;
    var pct = total > 0 ? Math.min(100, Math.floor(done * 100 / total)) : 0;
    text($('j-percent'), total > 0 ? pct + ' %' : '');
    $('j-fill').style.width = pct + '%';
    var bar = $('j-bar');
    bar.setAttribute('aria-valuenow', String(pct));
    bar.setAttribute('aria-valuetext', (run.phase || '') + ' ' + pct + ' percent');
    text($('j-bytes'), total ? fmtBytes(done) + ' / ' + fmtBytes(total) : '–');
    var rate = currentRate(run);
    text($('j-rate'), rate ? (rate / 1024).toFixed(1) + ' KiB/s' : '–');
    text($('j-eta'), rate && total > done ? fmtDuration((total - done) * 1000 / rate) : (total && done >= total ? '0 s' : '–'));
  }

  /* ---------- token dialog ---------- */
  function confirmDialog(message, okLabel, danger) {
    return new Promise(function (resolve) {
      var dlg = $('confirm');
      text($('confirm-text'), message);
      text($('confirm-ok'), okLabel);
      $('confirm-ok').className = 'btn ' + (danger ? 'danger' : 'primary');
      var tokIn = $('confirm-token');
      tokIn.value = getToken();
      dlg.returnValue = '';
      var done = function () {
        dlg.removeEventListener('close', done);
        if (dlg.returnValue === 'ok') {
          setToken(tokIn.value.trim());
          resolve(true);
        } else {
          resolve(false);
        }
      };
      dlg.addEventListener('close', done);
      if (typeof dlg.showModal === 'function') dlg.showModal(); else dlg.setAttribute('open', '');
      (tokIn.value ? $('confirm-ok') : tokIn).focus();
    });
  }

  /* ---------- target actions ---------- */
  var ACTIONS = {
    'reset': { path: '/api/v1/target/reset', body: null, label: 'Reset',
      text: 'Reset the target and let it run?', danger: false },
    'erase-uicr': { path: '/api/v1/target/erase', body: { scope: 'uicr' }, label: 'Erase UICR',
      text: 'Erase the UICR (bootloader address, NFC pins, APPROTECT, customer words)?', danger: true },
    'erase-chip': { path: '/api/v1/target/erase', body: { scope: 'chip' }, label: 'Erase chip',
      text: 'Erase the WHOLE chip (all flash and UICR)? The firmware on it is lost.', danger: true },
    'recover': { path: '/api/v1/target/recover', body: null, label: 'Recover',
      text: 'Recover: CTRL-AP ERASEALL unlocks the chip and destroys everything on it. Continue?', danger: true }
  };
  function runAction(name) {
    var a = ACTIONS[name];
    var out = $('action-result');
    confirmDialog(a.text, a.label, a.danger).then(function (ok) {
      if (!ok) return;
      showResult(out, 'info', a.label + '…');
      var body = a.body ? JSON.stringify(a.body) : undefined;
      api('POST', a.path, body, body ? { 'Content-Type': 'application/json' } : {}).then(function (r) {
        if (r.status === 401) setToken('');
        if (r.ok) {
          var j = r.body && (r.body.job || r.body);
          if (j && j.id != null && j.state) onJob(j, false);
          showResult(out, 'ok', a.label + ': ' + (j && j.state ? 'job #' + j.id + ' ' + j.state : 'done'));
        } else {
          showResult(out, 'bad', a.label + ' failed: ' + errorMessage(r.body, r.status));
        }
      }).catch(function (e) { showResult(out, 'bad', a.label + ' failed: ' + e.message); });
    });
  }
  document.querySelectorAll('[data-action]').forEach(function (b) {
    b.addEventListener('click', function () { runAction(b.dataset.action); });
  });

  /* ---------- upload ---------- */
  var fileIn = $('file'), drop = $('drop');
  function chooseFile(f) {
    state.file = f || null;
    text($('drop-text'), f ? f.name + ' (' + fmtBytes(f.size) + ')' : 'Drop a firmware file here or choose a file');
    $('upload-btn').disabled = !f;
    $('opt-base-l').hidden = !(f && /\.bin$/i.test(f.name));
  }
  fileIn.addEventListener('change', function () { chooseFile(fileIn.files[0]); });
  ['dragenter', 'dragover'].forEach(function (n) {
    drop.addEventListener(n, function (e) { e.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (n) {
    drop.addEventListener(n, function () { drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) chooseFile(e.dataTransfer.files[0]);
  });

  function upload(f, asked) {
    var out = $('upload-result');
    var q = new URLSearchParams();
    q.set('erase', $('opt-erase').value);
    q.set('verify', $('opt-verify').checked ? '1' : '0');
    q.set('reset', $('opt-reset').checked ? '1' : '0');
    if (/\.bin$/i.test(f.name)) { q.set('format', 'bin'); q.set('base', $('opt-base').value.trim() || '0'); }
    var fd = new FormData();
    fd.append('firmware', f, f.name);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/flash?' + q.toString());
    var tok = getToken();
    if (tok) xhr.setRequestHeader('Authorization', 'Bearer ' + tok);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) showResult(out, 'info', 'Uploading ' + f.name + ': ' + Math.floor(e.loaded * 100 / e.total) + ' %');
    };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      $('upload-btn').disabled = false;
      if (xhr.status === 401 && !asked) {
        setToken('');
        confirmDialog('This station needs its token to flash.', 'Flash', false).then(function (ok) {
          if (ok) { $('upload-btn').disabled = true; upload(f, true); }
          else showResult(out, 'bad', 'Not flashed: no token.');
        });
        return;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        var j = body && (body.job || body);
        if (j && j.id != null) onJob(j, false);
        showResult(out, 'ok', 'Accepted: job #' + (j ? j.id : '?') + ' (' + f.name + ') ' + (j && j.state ? j.state : ''));
      } else {
        showResult(out, 'bad', 'Rejected (' + xhr.status + '): ' + errorMessage(body, xhr.status));
      }
    };
    xhr.onerror = function () {
      $('upload-btn').disabled = false;
      showResult(out, 'bad', 'Upload failed: the daemon did not answer.');
    };
    $('upload-btn').disabled = true;
    showResult(out, 'info', 'Uploading ' + f.name + '…');
    xhr.send(fd);
  }
  $('upload-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if (state.file) upload(state.file, false);
  });

  /* Keep the ETA/KiB/s fresh between events. */
  setInterval(renderRunning, 1000);
  connect();
})();
