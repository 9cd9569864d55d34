/* Raising a matter: "add my current location" fills the hidden coordinates. A file, not inline code:
   the Content-Security-Policy refuses inline scripts. Everything works without it. */
(function () {
  "use strict";

  function ready() {
    var button = document.getElementById("use-location");
    var lat = document.getElementById("id_latitude");
    var lon = document.getElementById("id_longitude");
    if (button && lat && lon) {
      button.addEventListener("click", function () {
        if (!navigator.geolocation) return;
        navigator.geolocation.getCurrentPosition(function (p) {
          lat.value = p.coords.latitude.toFixed(6);
          lon.value = p.coords.longitude.toFixed(6);
        });
      });
    }
    // The form's widgets carry no Bootstrap class of their own.
    document.querySelectorAll("textarea, input[type=file]").forEach(function (el) {
      el.classList.add("form-control");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
