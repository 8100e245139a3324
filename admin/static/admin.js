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
