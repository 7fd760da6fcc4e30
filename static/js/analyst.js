// The analyst's charts (Chart.js, vendored): each chart of the page's "analyst-data" JSON
// (title, labels, datasets of numbers written as strings) as a bar chart; amounts of two
// currencies arrive as two charts, never one.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("analyst-data");
    var holder = document.querySelector("[data-report-charts]");
    if (!source || !holder || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    (data.charts || []).forEach(function (chart) {
      if (!chart.labels.length) {
        return;
      }
      var box = document.createElement("div");
      box.className = "dashboard-chart";
      var canvas = document.createElement("canvas");
      box.appendChild(canvas);
      holder.appendChild(box);
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: chart.datasets.map(function (set) {
            return {
              label: set.label,
              data: set.data.map(function (v) { return v === null ? null : Number(v); })
            };
          })
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { title: { display: true, text: chart.title } },
          scales: { y: { beginAtZero: true } }
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
