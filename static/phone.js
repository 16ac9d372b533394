/* The phone's ballot: dot steppers, ranking by drag or buttons, and delivery that is never silent.
 *
 * Nothing here knows which kind of round a ballot is for: each kind's template marks its form with
 * the behaviours it uses (data-steppers, data-budget-form, data-ranking-form, data-need-choice,
 * data-need-text, data-need-confirm, data-set-when-moved, data-clears-when-saved), so a new kind
 * built from these needs no script.
 *
 * A ballot goes over the phone's own websocket with a fresh client id. It counts as saved only
 * when the server's status line comes back with that id. If no answer comes within a few seconds,
 * or the socket is down, the same ballot is posted over plain HTTP (the server stores a client id
 * once, so sending twice is harmless), and retried until it is acknowledged or refused.
 *
 * Whether the phone is connected is one signal (see connection()): the socket opening or closing,
 * the browser going offline or online, a ping left unanswered, a request that could not get
 * through. The header's badge and the ballot's "not saved yet" line both follow it.
 */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var code = live.dataset.code;
  // Joining answers with this page itself: give it its own address, so a reload is a plain visit.
  if (location.pathname !== "/w/" + code && window.history && history.replaceState) {
    history.replaceState(null, "", "/w/" + code);
  }
  var csrf = (JSON.parse(document.body.getAttribute("hx-headers") || "{}"))["X-CSRF-Token"] || "";
  var socketOpen = false;  // the socket is open and believed alive
  var pending = null;   // {clientId, roundId, params, timer, attempts}
  var local = null;     // {roundId, params, version}: what the phone shows, maybe not yet saved
  var ACK_TIMEOUT = 4000;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function form() { return document.getElementById("ballot"); }
  function stage() { return $("[data-stage]"); }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function setStatus(state, text) {
    var el = document.getElementById("ballot-status");
    if (!el) { return; }
    el.dataset.state = state;
    el.className = "ballot-status " + state;
    el.textContent = text;
  }

  /* ---- reading and restoring the form ---- */
  function readParams(f) {
    var params = {};
    new FormData(f).forEach(function (value, key) {
      if (key === "rank") { (params.rank = params.rank || []).push(value); } else { params[key] = value; }
    });
    return params;
  }

  function rememberLocal() {
    var f = form();
    if (!f) { return; }
    var version = local ? local.version + 1 : 1;
    local = { roundId: f.querySelector("[name=round_id]").value, params: readParams(f), version: version };
  }

  function restoreLocal() {
    var f = form();
    if (!f || !local || f.querySelector("[name=round_id]").value !== local.roundId) { return false; }
    $all("input, textarea, select", f).forEach(function (el) {
      if (el.type === "hidden") { return; }
      var saved = local.params[el.name];
      if (el.type === "checkbox") { el.checked = saved !== undefined; }
      else if (el.type === "radio") { el.checked = saved === el.value; }
      else if (saved !== undefined) { el.value = saved; }
    });
    var list = $("[data-ranking]", f);
    if (list && local.params.rank) {
      local.params.rank.forEach(function (id) {
        var item = $('.rank-item[data-option="' + id + '"]', list);
        if (item) { list.appendChild(item); }
      });
    }
    return true;
  }

  /* ---- dot voting ---- */
  function dotsUsed(f) {
    return $all(".dot-count", f).reduce(function (sum, input) { return sum + (parseInt(input.value, 10) || 0); }, 0);
  }

  function refreshDots(f, note) {
    var budget = parseInt(f.dataset.dots, 10);
    var cap = parseInt(f.dataset.cap, 10);
    var left = budget - dotsUsed(f);
    var leftEl = $("[data-left]", f);
    var text = left === 0 ? f.dataset.msgNoneLeft : (left === 1 ? f.dataset.msgLeftOne : fmt(f.dataset.msgLeft, { n: count(left, f) }));
    leftEl.textContent = note ? text + " · " + note : text;
    leftEl.parentElement.classList.toggle("none-left", left <= 0);
    $all(".ballot-option", f).forEach(function (li) {
      var n = parseInt($(".dot-count", li).value, 10) || 0;
      $all(".pip", li).forEach(function (pip, i) { pip.classList.toggle("on", i < n); });
      li.classList.toggle("chosen", n > 0);
      $('[data-step="1"]', li).setAttribute("aria-disabled", n >= cap || left <= 0 ? "true" : "false");
      $('[data-step="-1"]', li).setAttribute("aria-disabled", n <= 0 ? "true" : "false");
    });
  }

  function step(button) {
    var f = form();
    var li = button.closest(".ballot-option");
    var input = $(".dot-count", li);
    var cap = parseInt(f.dataset.cap, 10);
    var n = parseInt(input.value, 10) || 0;
    var delta = parseInt(button.dataset.step, 10);
    var left = parseInt(f.dataset.dots, 10) - dotsUsed(f);
    var note = "";
    if (delta > 0 && n >= cap) {
      note = fmt(f.dataset.msgCap, { n: cap });
    } else if (delta > 0 && left <= 0) {
      note = f.dataset.msgTakeBack;
    } else if (delta < 0 && n <= 0) {
      return;
    } else {
      input.value = n + delta;
      changed();
    }
    refreshDots(f, note);
  }

  /* A count in the page's language's digits, as the server writes it (Arabic-Indic in Arabic). */
  function count(n, f) {
    return n.toLocaleString(f.dataset.locale || undefined, { numberingSystem: f.dataset.numbering || "latn" });
  }

  /* ---- budget: a live "remaining" bar, and no ticking past the budget ---- */
  /* The page's language's way with money, as the server writes it (CLDR, by the browser). */
  function money(n, f) {
    return Math.abs(n).toLocaleString(f.dataset.locale || undefined,
      { style: "currency", currency: f.dataset.currency, maximumFractionDigits: 0, minimumFractionDigits: 0,
        numberingSystem: f.dataset.numbering || "latn" });
  }

  function spent(f) {
    return $all(".pick-box", f).reduce(function (sum, box) { return sum + (box.checked ? parseInt(box.dataset.cost, 10) || 0 : 0); }, 0);
  }

  function refreshBudget(f, note) {
    var budget = parseInt(f.dataset.budget, 10);
    var used = spent(f);
    var left = budget - used;
    var text = left >= 0 ? fmt(f.dataset.msgLeft, { amount: money(left, f), budget: money(budget, f) })
                         : fmt(f.dataset.msgOver, { amount: money(-left, f) });
    $("[data-left]", f).textContent = note ? note : text;
    var bar = $("[data-meter-bar]", f);
    bar.setAttribute("aria-valuenow", used);
    $(".meter-fill", bar).style.width = Math.min(100, 100 * used / budget) + "%";
    bar.classList.toggle("over", left < 0);
    $all(".pick", f).forEach(function (li) {
      var box = $(".pick-box", li);
      li.classList.toggle("chosen", box.checked);
      li.classList.toggle("too-dear", !box.checked && (parseInt(box.dataset.cost, 10) || 0) > left);
    });
  }

  function pick(box) {
    var f = form();
    var left = parseInt(f.dataset.budget, 10) - spent(f);
    if (box.checked && left < 0) {
      // Refuse the tick here, with the reason, rather than let a ballot the server refuses go out.
      box.checked = false;
      var cost = parseInt(box.dataset.cost, 10) || 0;
      refreshBudget(f, fmt(f.dataset.msgTooDear, { title: box.dataset.title, cost: money(cost, f), amount: money(left + cost, f) }));
      return;
    }
    changed();
    refreshBudget(f, "");
  }

  /* ---- ranking ---- */
  function refreshRanking(f, moved) {
    var list = $("[data-ranking]", f);
    var places = parseInt(f.dataset.places, 10);
    var items = $all(".rank-item", list);
    var cutoff = $("[data-cutoff]", list);
    items.forEach(function (li, i) {
      $(".rank-num", li).textContent = i + 1;
      li.classList.toggle("beyond", i >= places);
      $('[data-move="-1"]', li).setAttribute("aria-disabled", i === 0 ? "true" : "false");
      $('[data-move="1"]', li).setAttribute("aria-disabled", i === items.length - 1 ? "true" : "false");
    });
    if (cutoff && items[places - 1]) { items[places - 1].after(cutoff); }
    if (moved) {
      var title = $("h2", moved).textContent;
      $("[data-announce]", f).textContent = fmt(f.dataset.msgMoved, { title: title, n: items.indexOf(moved) + 1, total: items.length });
    }
  }

  // Moving anything in a list makes its order the person's own: tick the boxes that say so.
  function markMoved(f) {
    if (!f) { return; }
    $all("[data-set-when-moved]", f).forEach(function (box) { box.checked = true; });
  }

  function move(button) {
    var f = form();
    var li = button.closest(".rank-item");
    var items = $all(".rank-item", li.parentElement);
    var i = items.indexOf(li);
    var j = i + parseInt(button.dataset.move, 10);
    if (j < 0 || j >= items.length) { return; }
    if (j < i) { items[j].before(li); } else { items[j].after(li); }
    button.focus();
    markMoved(f);
    changed();
    refreshRanking(f, li);
  }

  // Dragging by the handle with pointer events works for fingers, pens and mice alike.
  var drag = null;
  document.addEventListener("pointerdown", function (evt) {
    var handle = evt.target.closest(".rank-item .handle, .rank-item .option-text");
    if (!handle || evt.button > 0) { return; }
    var li = handle.closest(".rank-item");
    if (evt.pointerType !== "mouse" && !evt.target.closest(".handle")) { return; }
    drag = { li: li, id: evt.pointerId };
    li.classList.add("dragging");
    handle.setPointerCapture(evt.pointerId);
    evt.preventDefault();
  });
  document.addEventListener("pointermove", function (evt) {
    if (!drag || evt.pointerId !== drag.id) { return; }
    var list = drag.li.parentElement;
    var items = $all(".rank-item", list);
    for (var k = 0; k < items.length; k++) {
      var other = items[k];
      if (other === drag.li) { continue; }
      var box = other.getBoundingClientRect();
      var mid = box.top + box.height / 2;
      var pos = items.indexOf(drag.li);
      if (k < pos && evt.clientY < mid) { other.before(drag.li); markMoved(form()); changed(); break; }
      if (k > pos && evt.clientY > mid) { other.after(drag.li); markMoved(form()); changed(); break; }
    }
    refreshRanking(form(), null);
  });
  function endDrag(evt) {
    if (!drag || evt.pointerId !== drag.id) { return; }
    drag.li.classList.remove("dragging");
    refreshRanking(form(), drag.li);
    drag = null;
  }
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", endDrag);

  /* ---- changes, sending and acknowledgement ---- */
  function changed() {
    rememberLocal();
    if (!pending) { setStatus("unsent", live.dataset.msgUnsent); }
  }

  document.addEventListener("click", function (evt) {
    var s = evt.target.closest("#ballot [data-step]");
    if (s) { evt.preventDefault(); step(s); return; }
    var m = evt.target.closest("#ballot [data-move]");
    if (m) { evt.preventDefault(); move(m); }
  });
  document.addEventListener("change", function (evt) {
    var f = form();
    if (!f || !f.contains(evt.target)) { return; }
    if (evt.target.classList.contains("pick-box")) { pick(evt.target); }
    else if (evt.target.type === "radio" || evt.target.type === "checkbox" || evt.target.tagName === "SELECT") { changed(); }
  });
  document.addEventListener("input", function (evt) {
    var f = form();
    if (f && f.contains(evt.target) && (evt.target.tagName === "TEXTAREA" || evt.target.type === "text")) { changed(); return; }
    if (f && evt.target.classList.contains("dot-count")) {
      var cap = parseInt(f.dataset.cap, 10);
      var n = Math.max(0, Math.min(cap, parseInt(evt.target.value, 10) || 0));
      if (String(n) !== evt.target.value && evt.target.value !== "") { evt.target.value = n; }
      changed();
      refreshDots(f, "");
    }
  });

  function checkBeforeSend(f) {
    if (f.hasAttribute("data-need-choice") && !$("input[type=radio]:checked, input[type=checkbox]:checked", f)) {
      return f.dataset.msgNeedOne;
    }
    if (f.dataset.needText !== undefined && !$("[name=" + f.dataset.needText + "]", f).value.trim()) {
      return f.dataset.msgNeedOne;
    }
    if (f.dataset.needConfirm !== undefined && !$("[name=" + f.dataset.needConfirm + "]", f).checked) {
      return f.dataset.msgNeedConfirm;
    }
    if (!f.hasAttribute("data-steppers")) { return null; }
    var used = dotsUsed(f);
    if (used === 0) { return f.dataset.msgNeedOne; }
    if (f.dataset.mustAll === "true" && used < parseInt(f.dataset.usable, 10)) {
      return fmt(f.dataset.msgNeedAll, { n: f.dataset.usable });
    }
    return null;
  }

  // Sending: over the socket when it is open, else over plain HTTP at once.
  document.addEventListener("submit", function (evt) {
    var f = form();
    if (!f || evt.target !== f) { return; }
    evt.preventDefault();
    var problem = checkBeforeSend(f);
    if (problem) { setStatus("error", "⚠ " + problem); return; }
    var params = readParams(f);
    params.client_id = newId();
    delete params.csrf;
    track(params);
    if (socketOpen) { socket.send(JSON.stringify(params)); } else { postOverHttp(); }
  });

  function track(params) {
    if (pending && pending.timer) { clearTimeout(pending.timer); }
    pending = {
      clientId: params.client_id, roundId: params.round_id, params: params, attempts: 0, timer: null,
      version: local ? local.version : 0
    };
    pending.timer = setTimeout(postOverHttp, ACK_TIMEOUT);
    setStatus("saving", live.dataset.msgSaving);
  }

  function postOverHttp() {
    if (!pending) { return; }
    var p = pending;
    clearTimeout(p.timer);
    p.attempts += 1;
    var body = new URLSearchParams();
    Object.keys(p.params).forEach(function (key) {
      if (key === "HEADERS") { return; }
      var value = p.params[key];
      (Array.isArray(value) ? value : [value]).forEach(function (v) { body.append(key, v); });
    });
    body.set("action", "ballot");
    fetch("/w/" + code + "/ballot", {
      method: "POST",
      headers: { "HX-Request": "true", "X-CSRF-Token": csrf },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, status: response.status, html: html }; });
    }).then(function (res) {
      if (pending !== p) { return; }
      if (res.html.indexOf('id="ballot-status"') >= 0) {
        swapIn(res.html);
      } else {
        throw new Error("unexpected reply " + res.status);
      }
    }).catch(function () {
      if (!socketOpen) { connection("offline"); }
      if (pending !== p) { return; }
      setStatus("retrying", live.dataset.msgRetrying);
      p.timer = setTimeout(postOverHttp, Math.min(10000, 1000 * Math.pow(2, p.attempts)));
    });
  }

  // The server's regions (the stage, the status line, a phone's list of its ideas) arrive as HTML
  // whose top-level elements each replace the element with the same id, by socket or by HTTP.
  function swapIn(html) {
    var before = stage();
    var was = before ? before.dataset.round + "/" + before.dataset.status : "";
    var tmp = document.createElement("template");
    tmp.innerHTML = html;
    Array.prototype.slice.call(tmp.content.children).forEach(function (fresh) {
      var old = document.getElementById(fresh.id);
      if (old) {
        fresh.removeAttribute("hx-swap-oob");
        old.replaceWith(fresh);
      }
    });
    afterSwap();
    fitSendBar();
    var now = stage();
    if (now && now.dataset.status === "open" && now.dataset.round + "/open" !== was) { showTitle(now); }
  }

  // A round has just opened: bring its title to the top of the screen (and to a screen reader).
  function showTitle(where) {
    var title = $(".round-title", where);
    if (!title) { return; }
    title.setAttribute("tabindex", "-1");
    title.focus({ preventScroll: true });
    title.scrollIntoView({ block: "start" });
  }

  // After any status line arrives: if it answers the pending ballot, stop waiting.
  function settle() {
    var el = document.getElementById("ballot-status");
    if (!pending || !el || el.dataset.clientId !== pending.clientId) { return; }
    clearTimeout(pending.timer);
    // Saved, and nothing changed on the phone since sending: the server has what the phone shows.
    if (el.dataset.state === "saved" && local && local.version === pending.version) { local = null; }
    // An idea, once saved, leaves the form empty for the next one.
    var f = form();
    if (el.dataset.state === "saved" && f && f.hasAttribute("data-clears-when-saved") && !local) { f.reset(); }
    pending = null;
  }

  function afterSwap() {
    settle();
    var f = form();
    if (!f) { return; }
    var restored = restoreLocal();
    if (f.hasAttribute("data-steppers")) { refreshDots(f, ""); }
    if (f.hasAttribute("data-budget-form")) { refreshBudget(f, ""); }
    if (f.hasAttribute("data-ranking-form")) { refreshRanking(f, null); }
    if (restored && !pending) {
      var st = document.getElementById("ballot-status");
      if (st && st.dataset.state !== "error") { setStatus("unsent", live.dataset.msgUnsent); }
    } else if (pending) {
      setStatus(connected === "offline" ? "retrying" : "saving",
                connected === "offline" ? live.dataset.msgRetrying : live.dataset.msgSaving);
    }
  }

  /* ---- the socket, and the one signal of whether this phone is connected ---- */
  var socket = null;
  var connected = "connecting";
  var retries = 0;
  var reconnectTimer = null;
  var lastHeard = 0;     // when anything last came from the server over the socket
  var pingSentAt = 0;    // when the unanswered ping went, or 0
  var IDLE = 6000;       // ms of silence before asking the server whether it is still there
  var PONG_WAIT = 3000;  // ms the answer may take before the connection counts as lost

  // Whatever learns something about the connection reports it here, and both the badge and the
  // ballot's "not saved yet" line follow from it, so the two never disagree.
  function connection(state) {
    connected = state;
    if (window.facilitationConn) { window.facilitationConn(state); }
    if (state === "offline" && pending) { setStatus("retrying", live.dataset.msgRetrying); }
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (socket) { return; }
    if (navigator.onLine === false) { connection("offline"); return; }   // "online" reconnects
    if (connected !== "offline") { connection("connecting"); }
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + live.dataset.socket);
    socket = ws;
    ws.onopen = function () {
      retries = 0;
      heard();
      socketOpen = true;
      connection("online");
      stopPolling();
      if (pending) { postOverHttp(); }   // it may have been lost with the old socket
    };
    ws.onmessage = function (evt) {
      heard();
      if (evt.data !== "pong") { swapIn(evt.data); }
    };
    ws.onclose = function () { dropped(ws); };
  }

  // The socket is gone (closed, or silent too long): say so, send any ballot over HTTP, follow
  // the room by polling, and reconnect soon, quickly but spread out so a whole room coming back
  // after a restart does not arrive at once (at most 5 s, with jitter).
  function dropped(ws) {
    if (socket !== ws) { return; }
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(); } catch (e) { /* already closing */ }
    socket = null;
    socketOpen = false;
    pingSentAt = 0;
    connection("offline");
    if (pending) { postOverHttp(); }
    startPolling();
    var ceiling = Math.min(5000, 500 * Math.pow(2, retries++));
    reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function heard() { lastHeard = Date.now(); pingSentAt = 0; }

  // A socket on a network that has gone quietly stays "open" for minutes; asking the server when
  // it has been silent for a while finds out within seconds.
  setInterval(function () {
    if (!socketOpen || document.hidden) { return; }
    var now = Date.now();
    if (pingSentAt && now - pingSentAt > PONG_WAIT) { dropped(socket); return; }
    if (!pingSentAt && now - lastHeard > IDLE) {
      pingSentAt = now;
      socket.send('{"action": "ping"}');
    }
  }, 1000);
  window.addEventListener("offline", function () {
    if (socket) { dropped(socket); } else { connection("offline"); }
  });
  window.addEventListener("online", function () {
    retries = 0;
    connect();
    if (pending) { postOverHttp(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { return; }
    if (!socket) { connect(); } else if (socketOpen && !pingSentAt) { lastHeard = 0; }
  });

  // While the socket is down, ask for the stage over HTTP so the phone still follows the room.
  var poller = null;
  function startPolling() {
    if (poller) { return; }
    poller = setInterval(function () {
      fetch("/w/" + code + "/stage", { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 404) { location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (!html) { return; }
          var tmp = document.createElement("template");
          tmp.innerHTML = html;
          var fresh = tmp.content.querySelector("[data-stage]");
          var old = stage();
          if (fresh && old && (fresh.dataset.round !== old.dataset.round || fresh.dataset.status !== old.dataset.status)) {
            swapIn(html);
          }
        })
        .catch(function () { if (!socketOpen) { connection("offline"); } });
    }, 5000);
  }
  function stopPolling() { if (poller) { clearInterval(poller); poller = null; } }

  /* ---- the send bar never hides more than a quarter of the screen ---- */
  // Large text, page zoom or a short screen make the fixed bar tall: past a quarter of the
  // screen it sits at the end of the form instead, like the rest of the page (and comes back
  // once it is well under a quarter, so a bar near the line does not flicker).
  var sizes = window.ResizeObserver ? new ResizeObserver(function () { fitSendBar(); }) : null;
  var watched = null;
  function fitSendBar() {
    var bar = $(".send-bar");
    if (sizes && bar !== watched) {   // the bar comes and goes with its round: watch this one
      if (watched) { sizes.unobserve(watched); }
      if (bar) { sizes.observe(bar); }
      watched = bar;
    }
    if (!bar) { return; }
    var share = bar.offsetHeight / window.innerHeight;
    if (share > 0.25) { bar.classList.add("in-flow"); }
    else if (share < 0.22) { bar.classList.remove("in-flow"); }
  }
  window.addEventListener("resize", fitSendBar);

  window.addEventListener("beforeunload", function (evt) {
    if (pending) { evt.preventDefault(); evt.returnValue = ""; }
  });

  document.addEventListener("DOMContentLoaded", function () { afterSwap(); fitSendBar(); connect(); });
})();
