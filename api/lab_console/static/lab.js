// tonematch lab console: print buttons and the queue's live counts. Plain JavaScript, no libraries, no network
// beyond this server. The pages work without it (counts are then as of the page load).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var tabs = document.querySelector("[data-counts-url]");
  if (!tabs) { return; }
  var url = tabs.getAttribute("data-counts-url");
  var current = tabs.getAttribute("data-current");
  var updated = document.querySelector("[data-counts-updated]");
  var changed = document.querySelector("[data-queue-changed]");
  var initial = {};
  tabs.querySelectorAll("[data-count-for]").forEach(function (badge) {
    initial[badge.getAttribute("data-count-for")] = badge.textContent.trim();
  });
  var POLL_MS = 15000;

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        var json = (response.headers.get("content-type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) { throw new Error("signed out or unavailable"); }
        return response.json();
      })
      .then(function (counts) {
        Object.keys(counts).forEach(function (status) {
          var badge = tabs.querySelector('[data-count-for="' + status + '"]');
          if (badge) { badge.textContent = counts[status]; }
        });
        if (changed && current in counts && counts[current] !== initial[current]) { changed.hidden = false; }
        if (updated) { updated.textContent = "Counts updated at " + new Date().toLocaleTimeString() + "."; }
      })
      .catch(function () {
        if (updated) { updated.textContent = "Counts could not be refreshed; reload the page."; }
      });
  }
  window.setInterval(refresh, POLL_MS);
}());
