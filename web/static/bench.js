/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The production view (bench.html): GET /api/v1/bench twice a second;
 * arm and disarm with the token (asked for when needed, kept in
 * sessionStorage only, as the status page does). */
(function () {
  'use strict';
  var TOKEN_KEY = 'swdflashd.token';
  var $ = function (id) { return document.getElementById(id); };
  var pendingOp = null;

  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function setToken(t) { try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode */ } }
  function text(id, s) { $(id).textContent = s; }

  /* Failure reasons from the record, in plain words for the operator. */
  function plain(reason) {
    if (!reason) return '';
    var r = reason.replace(/^[a-z]+ failed: /, '');
    if (/wrong part/.test(r)) return r.replace(/^wrong part: /, 'Wrong chip: ');
    if (/no response|stopped answering|not found/.test(r)) return 'No contact with the board (check the fixture and power)';
    if (/locked/.test(r)) return 'The board is locked and this recipe does not unlock it';
    if (/verify/.test(r)) return 'Check after programming failed';
    if (/self-test/.test(r)) return 'Self-test failed: ' + r.replace(/^self-test[^:]*: /, '');
    return r;
  }

  function tile(cls, word, detail) {
    var t = $('tile');
    t.className = 'tile ' + cls;
    t.dataset.state = cls;
    text('tile-word', word);
    text('tile-detail', detail || '');
  }

  function render(b) {
    var hf = b.handsfree || {}, last = hf.last, r = b.recipe;
    text('recipe-name', r ? r.name + ' v' + r.version : 'none active');
    text('recipe-detail', r ? r.part + (r.lock ? ', locks' : '') +
      (r.next_serial !== undefined ? ', next serial ' + r.next_serial : '') : '');
    var armed = $('armed');
    armed.textContent = hf.armed ? 'armed (' + hf.mode + ')' : 'disarmed';
    armed.className = 'pill' + (hf.armed ? ' on' : '');
    if (hf.state === 'running') {
      tile('busy', 'BUSY', (hf.step ? hf.step + '…' : 'programming…'));
    } else if (hf.state === 'already_programmed') {
      tile('warn', 'DONE', 'This board was already programmed: remove it');
    } else if (last && (hf.state === 'remove_board' || !hf.armed)) {
      if (last.verdict === 'PASS')
        tile('pass', 'PASS', (last.serial ? last.serial + ' — ' : '') + 'remove the board');
      else
        tile('fail', 'FAIL', plain(last.reason));
    } else if (!hf.armed) {
      tile('idle', 'OFF', 'Disarmed');
    } else if (hf.state === 'ready') {
      tile('idle', 'READY', 'Press START');
    } else {
      tile('idle', 'READY', 'Insert a board' + (last ? ' (last: ' + last.verdict + ')' : ''));
    }
    var t = b.today || {};
    text('passed', t.passed || 0);
    text('failed', t.failed || 0);
    text('yield', t.yield === null || t.yield === undefined ? '–' : Math.round(t.yield) + '%');
    var body = $('last-body');
    body.textContent = '';
    (b.last || []).slice(0, 8).forEach(function (d) {
      var tr = document.createElement('tr');
      [d.time ? d.time.slice(11, 19) : '', d.serial || '—', d.device_id || '?', d.verdict]
        .forEach(function (v, i) {
          var td = document.createElement('td');
          td.textContent = v;
          if (i === 3) td.className = 'v-' + v;
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
  }

  function poll() {
    var init = { cache: 'no-store', headers: {} };
    if (token()) init.headers['Authorization'] = 'Bearer ' + token();
    fetch('/api/v1/bench', init).then(function (r) { return r.json(); })
      .then(render, function () { tile('idle', '…', 'No contact with the station'); })
      .then(function () { setTimeout(poll, 500); });
  }

  function op(name) {
    var tok = token();
    if (!tok) { pendingOp = name; $('token-box').hidden = false; $('token').focus(); return; }
    fetch('/api/v1/bench/' + name, { method: 'POST', headers: { 'Authorization': 'Bearer ' + tok } })
      .then(function (r) {
        if (r.status === 401) {
          pendingOp = name;
          $('token-box').hidden = false;
          text('token-msg', 'Wrong token');
          return null;
        }
        return r.json().then(function (j) {
          if (!r.ok) text('token-msg', (j.error && j.error.message) || ('HTTP ' + r.status));
          else { text('token-msg', ''); $('token-box').hidden = true; }
        });
      });
  }

  $('arm').addEventListener('click', function () { op('arm'); });
  $('disarm').addEventListener('click', function () { op('disarm'); });
  $('token-ok').addEventListener('click', function () {
    setToken($('token').value.trim());
    $('token-box').hidden = true;
    if (pendingOp) { var o = pendingOp; pendingOp = null; op(o); }
  });
  poll();
})();
