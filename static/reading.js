/* Reading aids on residents' pages: "Listen" buttons that read a text aloud in the page's language
 * with the phone's own speech (nothing leaves the phone), and the "Larger text" switch.
 *
 * A Listen button names the elements whose text it reads (data-say, ids). Where the phone has no
 * voice for the page's language, or cannot speak at all, the button says so instead of staying
 * silent. The switch sets a cookie, so the server sends large.css with every later page.
 */
(function () {
  "use strict";
  var tools = document.getElementById("reading");
  if (!tools) { return; }
  var synth = window.speechSynthesis;
  var canSpeak = !!(synth && window.SpeechSynthesisUtterance);
  var speaking = null;  // the button whose text is being read
  var marked = null;    // the button showing a state other than "Listen"

  function lang() { return (document.documentElement.lang || "en").toLowerCase().replace("_", "-"); }

  // The voice for the page's language: one for exactly its region if there is one, else any
  // voice of the same language.
  function voiceFor(voices) {
    var wanted = lang();
    var same = null;
    for (var i = 0; i < voices.length; i++) {
      var tag = (voices[i].lang || "").toLowerCase().replace("_", "-");
      if (tag === wanted) { return voices[i]; }
      if (!same && tag.split("-")[0] === wanted.split("-")[0]) { same = voices[i]; }
    }
    return same;
  }

  // Chromium lists its voices a moment after the first ask: wait for them, briefly.
  function withVoices(then) {
    var voices = synth.getVoices();
    if (voices.length) { then(voices); return; }
    var done = false;
    function finish() {
      if (done) { return; }
      done = true;
      if (synth.removeEventListener) { synth.removeEventListener("voiceschanged", finish); }
      then(synth.getVoices());
    }
    if (synth.addEventListener) { synth.addEventListener("voiceschanged", finish); }
    setTimeout(finish, 1500);
  }

  // The text to read: each block of the named elements (a title, a limit, a description) as a
  // sentence of its own, so that the voice pauses between them; buttons and pictures left out.
  function textOf(button) {
    var parts = [];
    var current = "";
    function flush() {
      var text = current.replace(/\s+/g, " ").trim();
      if (text) { parts.push(/[.!?:;…]$/.test(text) ? text : text + "."); }
      current = "";
    }
    function walk(node) {
      if (node.nodeType === 3) { current += node.nodeValue; return; }
      if (node.nodeType !== 1 || node.matches(".say, [aria-hidden=true], img, svg, input")) { return; }
      var block = getComputedStyle(node).display !== "inline";
      if (block) { flush(); }
      for (var child = node.firstChild; child; child = child.nextSibling) { walk(child); }
      if (block) { flush(); }
    }
    button.dataset.say.split(" ").forEach(function (id) {
      var el = id && document.getElementById(id);
      if (el) { walk(el); flush(); }
    });
    return parts.join(" ");
  }

  function label(button, text, state) {
    var span = button.querySelector(".say-label");
    if (!button.dataset.listen) {
      button.dataset.listen = span.textContent;
      button.dataset.name = button.getAttribute("aria-label");
    }
    span.textContent = text || button.dataset.listen;
    button.setAttribute("aria-label", text || button.dataset.name);
    if (state) { button.dataset.state = state; } else { delete button.dataset.state; }
    marked = state ? button : null;
  }

  function say(message) {
    var status = tools.querySelector("[data-say-status]");
    status.textContent = "";
    setTimeout(function () { status.textContent = message; }, 50);
  }

  function stop() {
    var was = speaking;
    speaking = null;
    if (was) { label(was, "", ""); }
    if (canSpeak) { synth.cancel(); }
    return was;
  }

  function read(button) {
    if (!canSpeak) {
      label(button, tools.dataset.msgCannot, "novoice");
      say(tools.dataset.msgCannot);
      return;
    }
    withVoices(function (voices) {
      var voice = voiceFor(voices);
      if (!voice) {
        label(button, tools.dataset.msgNoVoice, "novoice");
        say(tools.dataset.msgNoVoice);
        return;
      }
      var utterance = new SpeechSynthesisUtterance(textOf(button));
      utterance.lang = document.documentElement.lang || "en";
      utterance.voice = voice;
      utterance.rate = 0.9;  // a little slower than the default, for listeners new to the language
      utterance.onend = function () { if (speaking === button) { stop(); } };
      utterance.onerror = function (evt) {
        if (speaking !== button) { return; }
        stop();
        // A reading the phone could not voice says so, rather than falling silent; a reading
        // stopped by a press or by another one is no failure.
        if (evt.error !== "interrupted" && evt.error !== "canceled") {
          label(button, tools.dataset.msgCannot, "failed");
          say(tools.dataset.msgCannot);
        }
      };
      speaking = button;
      label(button, tools.dataset.msgStop, "speaking");
      synth.speak(utterance);
    });
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest(".say");
    if (!button) { return; }
    evt.preventDefault();
    if (stop() === button) { return; }   // a second press stops the reading
    read(button);
  });

  // A new stage from the server (a round opening) brings new buttons: show them.
  function showButtons() {
    Array.prototype.forEach.call(document.querySelectorAll(".say[hidden]"), function (b) { b.hidden = false; });
  }

  // The server sends the same stage again when the phone reconnects: a button it replaces keeps
  // what it was saying ("Stop", or that there is no voice), and a reading stays stoppable.
  function carryOver() {
    if (!marked || marked.isConnected) { return; }
    var was = marked;
    marked = null;
    var key = window.CSS && CSS.escape ? CSS.escape(was.dataset.say) : was.dataset.say;
    var twin = document.querySelector('.say[data-say="' + key + '"]');
    if (!twin || twin.dataset.state) { return; }
    twin.dataset.listen = was.dataset.listen;
    twin.dataset.name = was.dataset.name;
    label(twin, was.querySelector(".say-label").textContent, was.dataset.state);
    if (speaking === was) { speaking = twin; }
  }
  new MutationObserver(function () { showButtons(); carryOver(); })
    .observe(document.body, { childList: true, subtree: true });
  showButtons();
  window.addEventListener("pagehide", stop);

  /* ---- the "Larger text" switch ---- */
  var switcher = tools.querySelector("[data-text-size]");
  switcher.hidden = false;
  switcher.addEventListener("click", function () {
    var on = switcher.getAttribute("aria-pressed") !== "true";
    switcher.setAttribute("aria-pressed", on ? "true" : "false");
    document.cookie = "text_size=" + (on ? "large" : "normal") + "; path=/; max-age=31536000; SameSite=Lax";
    var sheet = document.getElementById("large-text");
    if (on && !sheet) {
      sheet = document.createElement("link");
      sheet.id = "large-text";
      sheet.rel = "stylesheet";
      sheet.href = switcher.dataset.textSize;
      document.head.appendChild(sheet);
    } else if (!on && sheet) {
      sheet.remove();
    }
  });
})();
