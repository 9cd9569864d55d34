/* Dashboards: draw the ECharts options the server put in #dashboard-charts into each [data-chart] box.
   The options are complete (labels translated on the server); this file only renders and resizes.
   A box gets data-rendered="true" once its chart has finished drawing (the end-to-end test waits for it). */
(function () {
  "use strict";

  function render() {
    var holder = document.getElementById("dashboard-charts");
    if (!holder || !window.echarts) {
      return;
    }
    var options = JSON.parse(holder.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var option = options[box.dataset.chart];
      if (!option) {
        return;
      }
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.on("finished", function () {
        box.dataset.rendered = "true";
      });
      chart.setOption(option);
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        charts.forEach(function (chart) {
          chart.resize();
        });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
