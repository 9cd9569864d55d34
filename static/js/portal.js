/* The resident portal's small progressive enhancements. Everything works without this file. */
(function () {
  "use strict";

  // Profile: "use my location" fills the hidden latitude/longitude from the phone's position.
  function setUpLocation(form) {
    var source = form.querySelector("[name=location_source]");
    var lat = form.querySelector("[name=latitude]");
    var lon = form.querySelector("[name=longitude]");
    var status = document.getElementById("location-status");
    var locate = form.querySelector("[data-geolocate]");
    var useCommunity = form.querySelector("[data-use-community]");
    if (!source || !lat || !lon || !status) return;

    function say(key) {
      status.textContent = status.dataset[key] || "";
    }
    function showCommunityButton() {
      if (useCommunity) useCommunity.hidden = source.value !== "device";
    }

    if (locate && "geolocation" in navigator) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        say("textBusy");
        locate.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (position) {
            lat.value = position.coords.latitude.toFixed(6);
            lon.value = position.coords.longitude.toFixed(6);
            source.value = "device";
            locate.disabled = false;
            say("textDevice");
            showCommunityButton();
          },
          function () {
            locate.disabled = false;
            say("textFailed");
          },
          { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
        );
      });
    }
    if (useCommunity) {
      useCommunity.addEventListener("click", function () {
        source.value = "community";
        lat.value = "";
        lon.value = "";
        say("textCommunity");
        showCommunityButton();
      });
    }
    showCommunityButton();
  }

  function ready() {
    var form = document.querySelector("[data-profile-form]");
    if (form) setUpLocation(form);
    // After a failed submit, take keyboard and screen-reader users straight to the explanation.
    var errors = document.getElementById("form-errors");
    if (errors) errors.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
