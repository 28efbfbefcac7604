// Keyboard shortcuts of the review pages (no dependencies, works offline).
// Lists: j/k move the selection, Enter or o opens it.
// Comparison: c/r/u choose confirm/reject/unsure and focus the note, Ctrl+Enter
// records the decision, j/k go to the next/previous proposal of the trace.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-nav=rows] tbody tr"));
  var selected = -1;

  function select(index) {
    if (!rows.length) return;
    if (selected >= 0) rows[selected].classList.remove("selected");
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows[selected].classList.add("selected");
    rows[selected].scrollIntoView({ block: "nearest" });
  }

  rows.forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;
      if (row.dataset.href) window.location.href = row.dataset.href;
    });
  });

  function choose(verdict) {
    var input = document.querySelector('#decision-form input[name=verdict][value="' + verdict + '"]');
    if (!input) return false;
    input.checked = true;
    var note = document.querySelector("#decision-form textarea[name=note]");
    if (note) note.focus();
    return true;
  }

  function follow(key) {
    var link = document.querySelector('a[data-key="' + key + '"]');
    if (link) { window.location.href = link.href; return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("input, textarea, select");
    if (field) {
      if (event.key === "Escape") field.blur();
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && field.form) {
        event.preventDefault();
        if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var handled = false;
    switch (event.key) {
      case "j": handled = rows.length ? (select(selected + 1), true) : follow("j"); break;
      case "k": handled = rows.length ? (select(selected - 1), true) : follow("k"); break;
      case "Enter": case "o":
        if (selected >= 0 && rows[selected].dataset.href) {
          window.location.href = rows[selected].dataset.href; handled = true;
        }
        break;
      case "c": handled = choose("confirmed"); break;
      case "r": handled = choose("rejected"); break;
      case "u": handled = choose("unsure"); break;
      case "?":
        var help = document.getElementById("help");
        if (help) { help.hidden = !help.hidden; handled = true; }
        break;
    }
    if (handled) event.preventDefault();
  });
})();
