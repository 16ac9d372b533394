/* Shared behaviour for live pages: the connection line, countdown timers, print buttons. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Reconnect quickly but spread out: a whole room comes back after a server restart, and a
  // long back-off would leave phones stale for minutes. Capped at 5 s, with jitter.
  if (window.htmx) {
    htmx.config.wsReconnectDelay = function (retry) {
      var ceiling = Math.min(5000, 500 * Math.pow(2, retry));
      return ceiling / 2 + Math.random() * ceiling / 2;
    };
  }

  // Timers count down to a server timestamp; the offset corrects a phone's wrong clock.
  function tickTimers() {
    document.querySelectorAll(".timer[data-ends-at]").forEach(function (el) {
      if (el._offset === undefined) {
        el._offset = parseFloat(el.dataset.now) * 1000 - Date.now();
      }
      var left = Math.max(0, Math.round((parseFloat(el.dataset.endsAt) * 1000 - (Date.now() + el._offset)) / 1000));
      var text = Math.floor(left / 60) + ":" + pad(left % 60);
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("ending", left > 0 && left <= 30);
      el.classList.toggle("up", left === 0);
    });
  }
  setInterval(tickTimers, 500);
  document.addEventListener("DOMContentLoaded", tickTimers);
  document.addEventListener("htmx:wsAfterMessage", tickTimers);

  // The connection line shows whether live updates are flowing.
  window.facilitationConn = function (state) {
    var conn = document.getElementById("conn");
    if (!conn) { return; }
    conn.dataset.state = state;
    var text = conn.dataset["msg" + state.charAt(0).toUpperCase() + state.slice(1)];
    if (text !== undefined) { conn.textContent = text; }
  };
  document.addEventListener("htmx:wsConnecting", function () { window.facilitationConn("connecting"); });
  document.addEventListener("htmx:wsOpen", function () { window.facilitationConn("online"); });
  document.addEventListener("htmx:wsClose", function (evt) {
    window.facilitationConn("offline");
    // The ws extension only retries after abnormal closes; retry after any close, gently.
    var code = evt.detail && evt.detail.event ? evt.detail.event.code : 0;
    var wrapper = evt.detail && evt.detail.socketWrapper;
    if (wrapper && [1006, 1011, 1012, 1013].indexOf(code) < 0) {
      setTimeout(function () { wrapper.reconnect(); }, 1500 + Math.random() * 1500);
    }
  });

  document.addEventListener("click", function (evt) {
    if (evt.target.closest("[data-print]")) { window.print(); }
  });

  // The round form shows the settings of the kind of round chosen, and only those.
  document.addEventListener("change", function (evt) {
    var choice = evt.target.closest("[data-kind-choice]");
    if (!choice || evt.target.name !== "kind") { return; }
    var form = choice.closest("form");
    form.querySelectorAll("[data-kind-settings]").forEach(function (box) {
      box.hidden = box.dataset.kindSettings !== evt.target.value;
    });
  });

  // Ticks on the idea desk survive live pushes (hx-preserve); once a merge has gone through they
  // have done their job, so they are cleared for the next one.
  document.addEventListener("htmx:afterRequest", function (evt) {
    // The form itself may have been swapped out by its own answer: ask the request, not the event.
    var elt = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    var form = elt && elt.closest && elt.closest("[data-clears-ticks]");
    if (form && evt.detail.successful) {
      document.querySelectorAll("input[form='" + form.id + "']").forEach(function (box) { box.checked = false; });
    }
  });

  // A form that takes a while (the panel lottery works out every chance) says so while it works,
  // and its buttons are not pressed twice.
  document.addEventListener("submit", function (evt) {
    var form = evt.target.closest("[data-busy]");
    if (!form) { return; }
    var note = form.querySelector("[data-busy-note]");
    if (note) { note.hidden = false; }
    window.setTimeout(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // While the lottery is worked out, its progress (volunteers settled, seconds spent of those
  // allowed) is read from the pool's progress address, and it can be stopped. The page is left
  // only once the lottery is known (the server keeps it, so the page then loads at once).
  document.addEventListener("submit", function (evt) {
    var form = evt.target.closest("[data-busy]");
    var box = form && form.parentElement.querySelector("[data-lottery-progress]");
    if (!box || !window.fetch) { return; }
    evt.preventDefault();
    // The page's own job id goes with the lottery, so its progress and Stop are its own even
    // while another organiser works out another lottery for the same pool.
    var job = new URLSearchParams({ job: box.dataset.job }).toString();
    var query = new URLSearchParams(new FormData(form, evt.submitter)).toString();
    var url = form.action.split("#")[0] + "?" + query + "&" + job + "#chances";
    box.hidden = false;
    var bar = box.querySelector("[data-progress-bar]");
    var clock = box.querySelector("[data-progress-time]");
    // Seconds in the page's language's digits, as the server writes the limit beside them.
    var seconds = new Intl.NumberFormat(box.dataset.locale || undefined,
      { numberingSystem: box.dataset.numbering || "latn", maximumFractionDigits: 0 });
    var done = false;
    var poll = function () {
      if (done) { return; }
      fetch(box.dataset.progressUrl + "?" + job, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.running) {
            if (s.volunteers) { bar.value = s.settled / s.volunteers; }
            clock.textContent = box.dataset.msgTime.replace("{spent}", seconds.format(Math.floor(s.seconds)));
          }
          window.setTimeout(poll, 500);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 200);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        done = true;
        window.location.assign(r.status === 409 ? form.action.split("?")[0].split("#")[0] : url);
      })
      .catch(function () { done = true; window.location.assign(url); });
  });
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-cancel-lottery]");
    if (!button) { return; }
    var box = button.closest("[data-lottery-progress]");
    var token = document.querySelector("input[name=csrf]");
    var body = new FormData();
    if (token) { body.append("csrf", token.value); }
    body.append("job", box.dataset.job);
    button.disabled = true;
    fetch(box.dataset.cancelUrl, { method: "POST", body: body, credentials: "same-origin" });
  });
  // Coming back to the page from the browser's history shows it as it was left: ready again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy]").forEach(function (form) {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      form.querySelectorAll("[data-busy-note]").forEach(function (n) { n.hidden = true; });
    });
    document.querySelectorAll("[data-lottery-progress]").forEach(function (b) { b.hidden = true; });
  });
})();
