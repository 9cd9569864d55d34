/* The teacher's check-in screen: fetch the next signed code when the current one's minute is over.
   Served from static/ (the Content-Security-Policy allows no inline script). Without it the page still
   shows a code; reloading the page shows the next one. */
(function () {
  "use strict";

  var box = document.getElementById("checkin-qr");
  if (!box) return;
  var link = document.getElementById("checkin-link");
  var count = document.getElementById("checkin-count");
  var fullscreen = document.getElementById("checkin-fullscreen");
  var url = box.dataset.codeUrl;
  var wakeLock = null;

  function schedule(seconds) {
    window.setTimeout(refresh, Math.max(1, seconds) * 1000);
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          // The window has closed: say so in place of the code, and stop asking.
          box.textContent = answer.data.detail || "";
          return;
        }
        box.innerHTML = answer.data.svg; // made by segno on the server: markup of the code only
        if (link) {
          link.href = answer.data.url;
          link.textContent = answer.data.url;
        }
        if (count && typeof answer.data.present === "number") {
          count.textContent = (count.dataset.label || "✓") + " " + answer.data.present;
        }
        schedule(answer.data.refresh_in);
      })
      .catch(function () {
        // A dropped connection on a phone: try again shortly.
        schedule(5);
      });
  }

  if (fullscreen && document.documentElement.requestFullscreen) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", function () {
      document.documentElement.requestFullscreen().catch(function () {});
    });
  }
  // Keep the phone's screen on while the code is shown, where the browser allows it.
  if (navigator.wakeLock && navigator.wakeLock.request) {
    navigator.wakeLock.request("screen").then(function (lock) { wakeLock = lock; }).catch(function () {});
  }
  schedule(parseInt(box.dataset.refreshIn, 10) || 60);
})();
