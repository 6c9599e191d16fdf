/* Lá Chắn — progressive enhancements; every page also works without JavaScript. No inline handlers. */
(function () {
  "use strict";

  // <select data-autosubmit> (the language switch) submits its form on change.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
    // Multiple-choice filters: keep the dropdown button's caption in step with the ticked boxes.
    var menu = target.closest && target.closest(".lc-multi-menu");
    if (menu) {
      var toggle = menu.parentElement.querySelector(".lc-multi-toggle");
      var labels = Array.prototype.map.call(menu.querySelectorAll("input:checked"), function (box) {
        var label = menu.querySelector('label[for="' + box.id + '"]');
        return label ? label.textContent.trim() : box.value;
      });
      var text = labels.length ? labels.join(", ") : toggle.getAttribute("data-any");
      toggle.textContent = text.length > 28 ? text.slice(0, 27) + "…" : text;
      toggle.classList.toggle("active", labels.length > 0);
    }
  });
})();
