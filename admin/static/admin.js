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
