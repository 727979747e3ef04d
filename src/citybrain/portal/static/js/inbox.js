/* inbox.js: the work inbox's "select all" box and a live count on the bulk buttons.
   Event delegation on the document, so it keeps working after htmx swaps the table. */
(function () {
  "use strict";

  function picks() { return document.querySelectorAll("#inbox-table .inbox-pick"); }

  function update() {
    var chosen = { claim: 0, accept: 0 };
    picks().forEach(function (box) {
      if (box.checked) { chosen[box.getAttribute("data-bulk")] += 1; }
    });
    ["claim", "accept"].forEach(function (action) {
      var button = document.getElementById("bulk-" + action);
      if (!button) { return; }
      button.setAttribute("data-count", String(chosen[action]));
      button.setAttribute("aria-disabled", chosen[action] ? "false" : "true");
    });
  }

  document.addEventListener("change", function (evt) {
    var target = evt.target;
    if (!(target instanceof HTMLInputElement)) { return; }
    if (target.id === "inbox-select-all") {
      picks().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "inbox-select-all" || target.classList.contains("inbox-pick")) { update(); }
  });

  document.addEventListener("htmx:afterSwap", update);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
