// Behaviour every page shares, kept out of the markup: the Content-Security-Policy refuses inline handlers.
(function () {
  "use strict";
  // <select data-autosubmit>: choosing an option sends its form (the language switch).
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) {
      field.form.submit();
    }
  });
  // <form data-confirm="…">: ask before sending (giving up a place).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
