// The dashboards' charts (Chart.js, vendored): the figures come from the page's
// "dashboard-data" JSON, amounts as exact decimal strings in major units, one chart per
// currency (amounts of different currencies are never drawn on one axis).
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var holder = document.querySelector("[data-series-charts]");
    if (holder && data.series) {
      data.series.forEach(function (item) {
        var box = document.createElement("div");
        box.className = "dashboard-chart";
        var canvas = document.createElement("canvas");
        box.appendChild(canvas);
        holder.appendChild(box);
        new Chart(canvas, {
          type: "bar",
          data: {
            labels: item.days,
            datasets: [
              { label: item.currency + " · " + holder.dataset.sales, data: item.sales.map(Number), yAxisID: "money" },
              { label: item.currency + " · " + holder.dataset.refunds, data: item.refunds.map(Number), yAxisID: "money" },
              { label: holder.dataset.tickets, data: item.tickets, type: "line", yAxisID: "tickets" }
            ]
          },
          options: {
            animation: false,
            maintainAspectRatio: false,
            scales: {
              money: { position: "left", beginAtZero: true, title: { display: true, text: item.currency } },
              tickets: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: holder.dataset.tickets } }
            }
          }
        });
      });
    }
    document.querySelectorAll("canvas[data-bar-chart]").forEach(function (canvas) {
      var figures = data[canvas.dataset.barChart];
      if (!figures || !figures.labels.length) {
        canvas.parentNode.hidden = true;
        return;
      }
      // One bar per label, each about 24 px high.
      canvas.parentNode.style.height = Math.max(120, 40 + 24 * figures.labels.length) + "px";
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: figures.labels,
          datasets: [{ label: canvas.dataset.label, data: figures.values.map(function (v) { return v === null ? null : Number(v); }) }]
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          indexAxis: "y",
          scales: { x: { beginAtZero: true, ticks: { precision: canvas.dataset.whole ? 0 : undefined } } }
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
