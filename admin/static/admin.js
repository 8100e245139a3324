// Staff console: a canned reply fills the reply box; the conversation opens at its newest message;
// a form is sent once per click (pages work without this script too).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest(".canned-reply") : null;
  if (!button) return;
  var box = document.getElementById("reply-text");
  if (box) { box.value = button.getAttribute("data-text"); box.focus(); }
});

(function () {
  var chat = document.getElementById("history");
  if (chat) chat.scrollTop = chat.scrollHeight;
})();

// A second click while the first submit is under way would send the form again: the server ignores such a
// resubmit (one-time reply token), and the button says it is busy.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains("once")) return;
  if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
  form.setAttribute("data-sent", "1");
  var button = form.querySelector("button[type=submit]");
  if (button) { button.textContent = "正在发送…"; }
});

// Live console: every few seconds ask /admin/api/updates whether anything new reached this staff member
// (new tickets, farmers' messages, new requests). When it did, fetch this same page again and swap the
// parts marked data-live, so nothing is reloaded by hand; the title shows how many tickets wait for staff,
// and an optional beep (off unless switched on, remembered in this browser) says so.
(function () {
  var url = document.body.getAttribute("data-updates");
  if (!url || !window.fetch) return;
  var POLL_MS = 4000;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var version = null, waiting = null, busy = false, stale = false;
  var sound = localStorage.getItem("nongbot-sound") === "on";
  var toggle = document.getElementById("sound-toggle");

  function showSound() {
    if (!toggle) return;
    toggle.textContent = "提示音：" + (sound ? "开" : "关");
    toggle.setAttribute("aria-pressed", sound ? "true" : "false");
  }
  if (toggle) toggle.addEventListener("click", function () {
    sound = !sound;
    localStorage.setItem("nongbot-sound", sound ? "on" : "off");
    showSound();
    if (sound) beep();
  });
  showSound();

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var audio = new Ctx(), tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.08;
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.18);
    } catch (e) { /* no audio: the title still counts */ }
  }

  function showCount(n) {
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
    var badge = document.getElementById("waiting-count");
    if (badge) { badge.textContent = n; badge.hidden = !(n > 0); }
  }

  function swapLiveParts() {
    return fetch(location.href, {credentials: "same-origin", headers: {"X-Requested-With": "live"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var next = fresh.querySelector('[data-live="' + old.getAttribute("data-live") + '"]');
          if (!next) return;
          // A voice message being listened to is not cut off: this part is swapped on a later poll.
          var playing = Array.prototype.some.call(old.querySelectorAll("audio"), function (a) { return !a.paused; });
          if (playing) { stale = true; return; }
          var atEnd = old.scrollHeight - old.scrollTop - old.clientHeight < 40;
          old.innerHTML = next.innerHTML;
          if (old.id === "history" && atEnd) old.scrollTop = old.scrollHeight;
          old.classList.add("fresh");
          setTimeout(function () { old.classList.remove("fresh"); }, 1500);
        });
      });
  }

  function poll() {
    if (busy) return;
    busy = true;
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (u) {
        if (!u) return;
        showCount(u.waiting);
        var changed = (version !== null && u.version !== version) || stale;
        stale = false;
        if (sound && waiting !== null && u.waiting > waiting) beep();
        version = u.version; waiting = u.waiting;
        document.body.setAttribute("data-version", u.version);
        if (changed) return swapLiveParts();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { busy = false; });
  }
  poll();
  setInterval(poll, POLL_MS);
})();
