// The order-line form: choosing a product fills the description and unit price when they are
// still empty (the server does the same for a line saved with them empty).
(function () {
  "use strict";
  function fill(select) {
    var option = select.options[select.selectedIndex];
    if (!option || !option.dataset.price) return;
    var form = select.form;
    var description = form.elements.namedItem("description");
    var price = form.elements.namedItem("unit_price");
    if (description && !description.value.trim()) description.value = option.dataset.name || "";
    if (price && !price.value.trim()) price.value = option.dataset.price;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-fills-line")) fill(target);
  });
})();
