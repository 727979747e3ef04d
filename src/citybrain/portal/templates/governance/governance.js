/* 一网统管 pages: the district map (no online tiles: district boundaries only).
   Served by citybrain.portal.governance at /governance/assets/governance.js. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var el = document.getElementById("district-map");
    if (!el || typeof L === "undefined") { return; }
    var codes = (el.getAttribute("data-districts") || "").split(",").filter(Boolean);
    var pick = el.getAttribute("data-pick") === "true";
    var counts = {};
    try { counts = JSON.parse(el.getAttribute("data-counts") || "{}"); } catch (e) { counts = {}; }
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 }).setView([34.75, 113.65], 10);
    var bounds = null;
    var max = Math.max(1, ...Object.values(counts).map(Number));
    codes.forEach(function (code) {
      fetch("/api/v1/regions/divisions/" + code + "/geojson", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (feature) {
          if (!feature) { return; }
          var n = Number(counts[code] || 0);
          var layer = L.geoJSON(feature, {
            style: { color: "#0a3a70", weight: 1, fillColor: "#d9480f", fillOpacity: n ? 0.15 + 0.6 * n / max : 0.05 }
          }).addTo(map);
          var name = (feature.properties && feature.properties.name) || code;
          layer.bindTooltip(n ? name + "：" + n : name);
          bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
          map.fitBounds(bounds);
        });
    });
    if (pick) {
      var marker = null;
      var lon = document.getElementById("lon");
      var lat = document.getElementById("lat");
      map.on("click", function (e) {
        if (lon) { lon.value = e.latlng.lng.toFixed(6); }
        if (lat) { lat.value = e.latlng.lat.toFixed(6); }
        if (marker) { marker.setLatLng(e.latlng); } else { marker = L.circleMarker(e.latlng, { radius: 8 }).addTo(map); }
      });
    }
  });
})();
