/* cockpit.js: the 驾驶舱 page (templates/cockpit/cockpit.html). No inline scripts (CSP).
   1. Map: ECharts choropleth of the districts, shapes from /api/v1/cockpit/map (our own
      server, registered with echarts.registerMap; no tiles, no external URL). Clicking a
      district drills down to its streets, a street to its grid cells; the crumbs go back.
   2. Trends: a line chart of the last 14 days from the panels' data-trends.
   3. Feed: an EventSource on /api/v1/cockpit/stream; new alerts and cases are put on top.
      EventSource resumes with Last-Event-ID by itself after a drop.
   4. Panels: figures, tiles and trends are refreshed from /cockpit/panels after new
      events (at most every 3 s) and every minute; the map layer is reloaded with them.
   When the map and the trend chart have finished their first render, <body> gets
   data-ready="1" (the browser test measures the first render with it). */
(function () {
  "use strict";

  var root = document.getElementById("cockpit");
  if (!root || typeof echarts === "undefined") { return; }

  var FEED_MAX = 40;
  var REFRESH_GAP_MS = 3000;
  var REFRESH_EVERY_MS = 60000;
  var NEXT_LEVEL = { division: "street", street: "grid_cell" };
  var state = { metric: null, level: "division", parent: null, layer: null };
  var firstDrawn = { map: false, trends: false };

  var mapEl = document.getElementById("ck-map");
  var trendEl = document.getElementById("ck-trend-chart");
  var mapChart = echarts.init(mapEl, null, { renderer: "canvas" });
  var trendChart = echarts.init(trendEl, null, { renderer: "canvas" });
  var metricSelect = document.getElementById("ck-metric");
  state.metric = metricSelect ? metricSelect.value : "cases";

  function markReady(which) {
    if (firstDrawn[which]) { return; }
    firstDrawn[which] = true;
    if (firstDrawn.map && firstDrawn.trends) {
      document.body.dataset.ready = "1";
      if (window.performance && performance.mark) { performance.mark("cockpit-ready"); }
    }
  }
  mapChart.on("finished", function () { if (state.layer) { markReady("map"); } });
  trendChart.on("finished", function () { markReady("trends"); });

  function text(tag, className, value) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    node.textContent = value;
    return node;
  }

  // --- 1. the map ---------------------------------------------------------------------

  function mapKey(layer) { return "ck-" + layer.level + "-" + (layer.parent || "city"); }

  function drawLayer(layer) {
    state.layer = layer;
    var key = mapKey(layer);
    if (!echarts.getMap(key)) { echarts.registerMap(key, layer.geojson); }
    var numbers = layer.values.map(function (v) { return v.value; })
      .filter(function (v) { return typeof v === "number"; });
    var max = numbers.length ? Math.max.apply(null, numbers) : 1;
    var min = numbers.length ? Math.min(0, Math.min.apply(null, numbers)) : 0;
    var labels = layer.level !== "grid_cell";
    mapChart.setOption({
      animation: false,
      aria: { enabled: true },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data || {};
          return (d.areaName || p.name) + "<br>" + layer.metric.label + "：" + (d.display || "—");
        }
      },
      visualMap: {
        type: "continuous", min: min, max: max > min ? max : min + 1, left: 8, bottom: 8,
        text: ["高 High", "低 Low"], calculable: false, itemHeight: 90,
        inRange: { color: ["#e3edf9", "#6c9bd2", "#0a3a70"] }, textStyle: { color: "#3d3d3d" }
      },
      series: [{
        type: "map", map: key, nameProperty: "code", roam: false, selectedMode: false,
        layoutCenter: ["50%", "50%"], layoutSize: "96%",
        itemStyle: { areaColor: "#f1f3f5", borderColor: "#ffffff", borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: "#ffbf00" }, label: { show: true, color: "#111" } },
        label: {
          show: labels, fontSize: layer.level === "division" ? 13 : 10, color: "#111",
          textBorderColor: "#fff", textBorderWidth: 2,
          formatter: function (p) {
            var d = p.data || {};
            return (d.areaName || p.name) + (layer.level === "division" ? "\n" + (d.display || "—") : "");
          }
        },
        data: layer.values.map(function (v) {
          return { name: v.code, value: v.value === null ? NaN : v.value, areaName: v.name, display: v.display };
        })
      }]
    }, { notMerge: true });
    drawCrumbs(layer);
    var total = document.getElementById("ck-map-total");
    if (total) {
      total.textContent = layer.parent_name + " · " + layer.metric.label + "：" + layer.total_display +
        (layer.outside !== null ? "（未落入所示区域 outside the areas shown：" + layer.outside_display + "）" : "") +
        (NEXT_LEVEL[layer.level] ? "　点击区域下钻 Click an area to drill down" : "");
    }
    var note = document.getElementById("ck-map-note");
    if (note) { note.hidden = !layer.boundary_is_synthetic; }
    mapEl.dataset.level = layer.level;
    mapEl.dataset.parent = layer.parent || "";
    mapEl.dataset.areas = String(layer.values.length);
  }

  function loadLayer(level, parent) {
    var params = new URLSearchParams({ metric: state.metric, level: level });
    if (parent) { params.set("parent", parent); }
    return fetch(root.getAttribute("data-map") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("map " + r.status); } return r.json(); })
      .then(function (layer) {
        state.level = level;
        state.parent = parent || null;
        drawLayer(layer);
      })
      .catch(function () {
        var total = document.getElementById("ck-map-total");
        if (total) { total.textContent = "地图数据加载失败，稍后重试 Could not load the map"; }
      });
  }

  function drawCrumbs(layer) {
    var nav = document.getElementById("ck-crumbs");
    if (!nav) { return; }
    var nodes = [];
    layer.path.forEach(function (step, i) {
      if (i) { nodes.push(text("span", "ck-crumbs__sep", "›")); }
      var button = text("button", "", step.name);
      button.type = "button";
      button.dataset.level = step.level;
      button.dataset.code = step.code;
      if (i === layer.path.length - 1) { button.setAttribute("aria-current", "location"); }
      button.addEventListener("click", function () {
        if (step.level === "city") { loadLayer("division", null); }
        else { loadLayer(NEXT_LEVEL[step.level], step.code); }
      });
      nodes.push(button);
    });
    nav.replaceChildren.apply(nav, nodes);
  }

  mapChart.on("click", function (p) {
    var next = NEXT_LEVEL[state.level];
    if (next && p.name) { loadLayer(next, p.name); }
  });
  if (metricSelect) {
    metricSelect.addEventListener("change", function () {
      state.metric = metricSelect.value;
      loadLayer(state.level, state.parent);
    });
  }

  // --- 2. trends ----------------------------------------------------------------------

  function drawTrends() {
    var holder = document.getElementById("cockpit-trends-data");
    if (!holder) { return; }
    var trends;
    try { trends = JSON.parse(holder.getAttribute("data-trends") || "{}"); } catch (e) { return; }
    var colours = ["#d9480f", "#2b8a3e", "#0b4a94"];
    trendChart.setOption({
      animation: false,
      aria: { enabled: true },
      color: colours,
      grid: { left: 36, right: 12, top: 44, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, itemWidth: 14, textStyle: { fontSize: 12 } },
      xAxis: { type: "category", data: trends.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: trends.series.map(function (s, i) {
        return {
          name: s.label + " " + s.label_en, type: "line", data: s.values, symbolSize: 5,
          lineStyle: { width: 2, type: i === 2 ? "dashed" : "solid" }
        };
      })
    });
  }

  // --- 3. the live feed ---------------------------------------------------------------

  function feedNode(item) {
    var li = document.createElement("li");
    li.className = "ck-feed__item ck-feed__item--" + item.kind + " ck-sev--" + item.severity + " ck-feed__item--new";
    li.dataset.event = String(item.id);
    li.appendChild(text("span", "ck-feed__time", item.time));
    li.appendChild(text("span", "ck-feed__kind", item.kind_label));
    li.appendChild(text("span", "ck-feed__sev", item.severity_label));
    var title;
    if (item.link) {
      title = text("a", "ck-feed__title", item.title);
      title.href = item.link;
    } else {
      title = text("span", "ck-feed__title", item.title);
    }
    li.appendChild(title);
    li.appendChild(text("span", "ck-feed__place", item.place));
    var en = text("span", "en ck-feed__en", item.kind_label_en + " · " + item.title_en);
    en.lang = "en";
    li.appendChild(en);
    return li;
  }

  function setLive(stateName, zh, en) {
    var badge = document.getElementById("ck-live");
    if (!badge) { return; }
    badge.dataset.state = stateName;
    badge.textContent = zh + " ";
    var e = text("span", "en", en);
    e.lang = "en";
    badge.appendChild(e);
  }

  function followFeed() {
    if (!window.EventSource) { setLive("down", "不支持实时推送", "no live updates"); return; }
    var list = document.getElementById("ck-feed-list");
    var url = root.getAttribute("data-stream") + "?after_id=" + (root.getAttribute("data-last-id") || "0");
    var source = new EventSource(url);
    source.addEventListener("open", function () { setLive("live", "实时", "live"); });
    source.addEventListener("error", function () { setLive("down", "重连中", "reconnecting"); });
    source.addEventListener("feed", function (evt) {
      var item = JSON.parse(evt.data);
      if (list.querySelector('[data-event="' + item.id + '"]')) { return; }
      var empty = document.getElementById("ck-feed-empty");
      if (empty) { empty.remove(); }
      list.insertBefore(feedNode(item), list.firstChild);
      while (list.children.length > FEED_MAX) { list.removeChild(list.lastChild); }
      scheduleRefresh();
    });
  }

  // --- 4. refreshing the panels -------------------------------------------------------

  var refreshTimer = null;
  var lastRefresh = 0;

  function refreshPanels() {
    refreshTimer = null;
    lastRefresh = Date.now();
    fetch(root.getAttribute("data-panels"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("panels " + r.status); } return r.text(); })
      .then(function (html) {
        // DOMParser never runs scripts; only our three panels are taken.
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["cockpit-figures", "cockpit-tiles", "cockpit-trends-data"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
        });
        var figures = document.getElementById("cockpit-figures");
        var updated = document.getElementById("ck-updated");
        if (figures && updated) {
          var at = figures.getAttribute("data-generated") || "";
          updated.setAttribute("datetime", at);
          updated.textContent = at.slice(11, 19);
        }
        drawTrends();
        loadLayer(state.level, state.parent);
      })
      .catch(function () { /* the next event or the minute timer tries again */ });
  }

  function scheduleRefresh() {
    if (refreshTimer) { return; }
    var wait = Math.max(0, REFRESH_GAP_MS - (Date.now() - lastRefresh));
    refreshTimer = window.setTimeout(refreshPanels, wait);
  }

  window.addEventListener("resize", function () { mapChart.resize(); trendChart.resize(); });

  drawTrends();
  loadLayer("division", null);
  followFeed();
  window.setInterval(scheduleRefresh, REFRESH_EVERY_MS);
})();
