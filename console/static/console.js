// iamd console: the little the pages need beyond HTML. Loaded as a file
// (no inline script) so the Content-Security-Policy can forbid inline code.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  // Confirmation for destructive buttons.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-confirm]") : null;
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
    var c = ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (c && navigator.clipboard) {
      var el = document.getElementById(c.getAttribute("data-copy"));
      if (el) {
        navigator.clipboard.writeText(el.textContent).then(function () { c.textContent = "Copied"; });
      }
    }
  });

  // Live policy validation: the server's policy engine checks the
  // document as CreatePolicy or CreateRole will.
  function attach(area) {
    var kind = area.getAttribute("data-validate");
    var out = document.getElementById(area.id + "-status");
    var timer = null, seq = 0;
    function check() {
      var mine = ++seq;
      fetch("/console/api/validate", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ kind: kind, document: area.value })
      }).then(function (r) { return r.json(); }).then(function (res) {
        if (mine !== seq || !out) { return; }
        if (res.valid) {
          out.textContent = "Policy is valid.";
          out.className = "validation ok";
          area.setAttribute("aria-invalid", "false");
        } else {
          out.textContent = (res.code ? res.code + ": " : "") + res.message;
          out.className = "validation bad";
          area.setAttribute("aria-invalid", "true");
        }
      }).catch(function () {
        if (out) { out.textContent = "Could not check the policy."; out.className = "validation"; }
      });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    });
    check();
  }
  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-validate]"), attach);
})();
