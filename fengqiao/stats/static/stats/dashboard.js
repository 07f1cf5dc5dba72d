/* The dashboards' charts: each [data-chart] element draws the chart of the same name from the
   data the server computed (the #stats-charts json_script), so the page shows exactly the
   figures the tables below the charts show. Clicking a bar that has a link drills down. */
(function () {
  "use strict";

  function option(chart, dark) {
    var text = dark ? "#e8eef7" : "#333";
    var base = {
      backgroundColor: "transparent",
      title: { text: chart.title, left: "center", textStyle: { fontSize: 14, color: text } },
      tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" },
      legend: { bottom: 0, textStyle: { color: text } },
      animation: false
    };
    if (chart.kind === "pie") {
      base.series = [{
        name: chart.series[0].name,
        type: "pie",
        radius: ["35%", "65%"],
        data: chart.categories.map(function (label, i) {
          return { name: label, value: chart.series[0].data[i] };
        })
      }];
      return base;
    }
    base.grid = { left: 48, right: 16, top: 40, bottom: 56 };
    base.xAxis = { type: "category", data: chart.categories, axisLabel: { color: text } };
    base.yAxis = { type: "value", axisLabel: { color: text, formatter: chart.percent ? "{value}%" : "{value}" } };
    base.series = chart.series.map(function (s) {
      return { name: s.name, type: chart.kind, data: s.data, smooth: chart.kind === "line" };
    });
    return base;
  }

  function draw(root) {
    var source = document.getElementById("stats-charts");
    if (!source || typeof echarts === "undefined") { return; }
    var charts = JSON.parse(source.textContent);
    var dark = document.body.classList.contains("big-screen");
    (root || document).querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = charts[element.dataset.chart];
      if (!chart) { return; }
      var instance = echarts.getInstanceByDom(element) || echarts.init(element, dark ? "dark" : null);
      instance.setOption(option(chart, dark), true);
      instance.off("click");
      instance.on("click", function (params) {
        var url = chart.links && chart.links[params.dataIndex];
        if (!url) { return; }
        if (window.htmx && document.getElementById("board")) {
          window.htmx.ajax("GET", url, { target: "#board" }).then(function () {
            window.history.pushState({}, "", url);
          });
        } else {
          window.location.href = url;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(); });
  document.addEventListener("htmx:afterSettle", function () { draw(); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var instance = typeof echarts !== "undefined" && echarts.getInstanceByDom(element);
      if (instance) { instance.resize(); }
    });
  });
  window.fengqiaoDrawCharts = draw;
})();
