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

  // Long text boxes: a live count instead of the browser's silent cut at maxlength (the server refuses
  // over-long text with a message). The "too long" words come from the page (data-counter-over).
  function setUpCounter(box) {
    var limit = parseInt(box.dataset.maxlength, 10);
    if (!limit) return;
    var counter = document.createElement("div");
    counter.className = "char-counter form-text";
    counter.setAttribute("aria-live", "polite");
    counter.id = (box.id || box.name) + "-counter";
    box.insertAdjacentElement("afterend", counter);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    function update() {
      var length = Array.from(box.value).length;
      var over = length > limit;
      counter.textContent = length + " / " + limit + (over && box.dataset.counterOver ? " · " + box.dataset.counterOver : "");
      counter.classList.toggle("over", over);
      box.classList.toggle("is-invalid", over);
    }
    box.addEventListener("input", update);
    update();
  }

  function ready() {
    document.querySelectorAll("[data-maxlength]").forEach(setUpCounter);
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
