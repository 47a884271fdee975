// The workbench's only script: load a graph when its <details> is opened (the link works without it).
document.querySelectorAll("details.graph[data-src]").forEach(function (d) {
  d.addEventListener("toggle", function () {
    if (!d.open || d.dataset.loaded) return;
    d.dataset.loaded = "1";
    var box = d.querySelector(".svg");
    fetch(d.dataset.src, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.text() : Promise.reject(r.status);
    }).then(function (svg) { box.innerHTML = svg; }).catch(function () { d.dataset.loaded = ""; });
  });
});
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
