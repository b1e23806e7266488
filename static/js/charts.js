/* Charts of the dashboard and the head's portal, drawn with the vendored ECharts
   (static/vendor/echarts). Each chart is a <div class="chart" data-chart="KIND"
   data-source="ID"> whose data sits in <script type="application/json" id="ID"> (Django's
   json_script); every chart has a table beside it, so nothing depends on this script.
   Figures arrive as decimal strings and are only drawn here, never added up. When a chart has
   drawn, its element gets data-drawn="true" and data-points="N" (N data points, for tests). */
(function () {
  "use strict";

  var PALETTE = ["#1f5f99", "#3f8fcf", "#7fb7e3", "#2e7d32", "#c62828", "#a65400", "#6a1b9a"];

  function num(v) { return v === null || v === undefined ? null : Number(v); }
  function nums(list) { return (list || []).map(num); }
  function countPoints(option) {
    return (option.series || []).reduce(function (n, s) {
      return n + (s.data || []).filter(function (v) { return v !== null && v !== undefined; }).length;
    }, 0);
  }

  var BUILDERS = {
    /* Rankings of a group: parts and bonus stacked right, veto deductions left. */
    stacked: function (data, el) {
      var link = el.dataset.link || "";
      return {
        color: PALETTE,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", inverse: true, data: data.categories,
                 axisLabel: { width: 110, overflow: "truncate" } },
        series: data.series.map(function (s) {
          return { name: s.name, type: "bar", stack: s.stack, data: nums(s.data),
                   emphasis: { focus: "series" } };
        }),
        _onclick: link ? function (params) {
          var code = data.codes[params.dataIndex];
          if (code) { window.location.href = link.replace("CODE", encodeURIComponent(code)); }
        } : null,
      };
    },
    /* Score distribution: institutions per band of totals. */
    histogram: function (data) {
      return {
        color: ["#1f5f99"],
        tooltip: { trigger: "axis" },
        grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.categories },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: data.name, type: "bar", data: data.counts, barCategoryGap: "10%",
                   label: { show: true, position: "top" } }],
      };
    },
    /* Each institution's total, month by month. */
    trend: function (data) {
      return {
        color: PALETTE,
        tooltip: { trigger: "axis" },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.months, boundaryGap: false },
        yAxis: { type: "value", scale: true },
        series: data.series.map(function (s) {
          return { name: s.name, type: "line", data: nums(s.data), connectNulls: true };
        }),
      };
    },
    /* The portal: own parts against the group average and the maximum. */
    parts: function (data) {
      return {
        color: ["#1f5f99", "#7fb7e3", "#bdbdbd"],
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0 } },
        yAxis: { type: "value" },
        series: [
          { name: data.labels.own, type: "bar", data: nums(data.own) },
          { name: data.labels.average, type: "bar", data: nums(data.average) },
          { name: data.labels.maximum, type: "bar", data: nums(data.maximum), barGap: "10%" },
        ],
      };
    },
    /* The portal: own total and the group average by month, with the qualify line. */
    "own-trend": function (data) {
      return {
        color: ["#1f5f99", "#7fb7e3"],
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.months, boundaryGap: false },
        /* Low enough to show the qualify line, however far above it the totals are. */
        yAxis: { type: "value", scale: true, min: function (v) {
          return Math.floor(Math.min(v.min, num(data.qualify_line)) / 50) * 50;
        } },
        series: [
          { name: data.labels.own, type: "line", data: nums(data.own), connectNulls: true,
            markLine: { symbol: "none", lineStyle: { color: "#c62828", type: "dashed" },
                        label: { formatter: data.labels.qualify_line + " {c}" },
                        data: [{ yAxis: num(data.qualify_line) }] } },
          { name: data.labels.average, type: "line", data: nums(data.average), connectNulls: true },
        ],
      };
    },
  };

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    var build = BUILDERS[el.dataset.chart];
    if (!source || !build || !window.echarts) { return; }
    var option = build(JSON.parse(source.textContent), el);
    var onclick = option._onclick;
    delete option._onclick;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () {
      el.dataset.drawn = "true";
      el.dataset.points = String(countPoints(option));
    });
    chart.setOption(option);
    if (onclick) { chart.on("click", onclick); }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
