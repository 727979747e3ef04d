/* citybrain service worker: the app keeps working on a slow or lost connection.
   - /static/ assets: cache first. The server writes a digest of every static file into CACHE
     when it serves this script, so any changed asset means a new worker and a fresh cache.
   - pages: network first; when the network fails, the last copy seen, else the offline page.
   - API calls and event streams: never cached (always fresh or an honest error). */
"use strict";

var CACHE = "citybrain-v1";
var OFFLINE = "/offline";
var PRECACHE = [OFFLINE, "/static/css/citybrain.css", "/static/js/citybrain.js",
  "/static/css/console.css", "/static/js/home.js",
  "/static/img/logo.svg", "/static/img/icon-192.png", "/static/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(PRECACHE); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isPage(request) {
  return request.mode === "navigate" ||
    (request.headers.get("accept") || "").indexOf("text/html") !== -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/api/") === 0 || url.pathname.indexOf("/open311") === 0 ||
      url.pathname.indexOf("/ngsi-ld") === 0) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (isPage(request)) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) { return hit || caches.match(OFFLINE); });
    }));
  }
});
