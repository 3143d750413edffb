// Litefuse local UI: times in the reader's zone, and live updates of the
// list and trace pages. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";

  function pad(n, w) { return String(n).padStart(w || 2, "0"); }

  // localTimes shows every <time datetime> in local time; the UTC value
  // stays in the tooltip.
  function localTimes(root) {
    var today = new Date().toDateString();
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d) || d.getFullYear() < 2000) { return; }
      var t = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
      var day = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
      el.textContent = d.toDateString() === today ? t : day + " " + t;
      el.title = el.getAttribute("datetime") + " (UTC)";
    });
  }

  // live keeps the page current: the server sends "change" when the store
  // changes; the page fetches itself and swaps the parts marked below.
  function live(marker) {
    if (!window.EventSource || !window.fetch || !window.DOMParser) { return; }
    var ids = ["rows", "more", "summary", "attrs", "tree", "scores", "stats"];
    var busy = false, again = false;

    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          ids.forEach(function (id) {
            var now = document.getElementById(id), next = doc.getElementById(id);
            if (now && next) { now.replaceWith(document.importNode(next, true)); }
          });
          ["rows", "summary", "tree", "scores"].forEach(function (id) {
            var el = document.getElementById(id);
            if (el) { localTimes(el); }
          });
          localTimes(document.getElementById("stats") || document);
          marker.classList.add("flash");
          setTimeout(function () { marker.classList.remove("flash"); }, 400);
        })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }

    var src = new EventSource("/live?v=" + encodeURIComponent(marker.dataset.version || ""));
    src.addEventListener("open", function () { marker.classList.add("on"); marker.textContent = "live"; });
    src.addEventListener("error", function () { marker.classList.remove("on"); marker.textContent = "reconnecting"; });
    src.addEventListener("change", refresh);
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    var marker = document.getElementById("live");
    if (marker) { live(marker); }
  });
})();
