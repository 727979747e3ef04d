/* citybrain.js: the portal's own small script. Loaded in <head> without defer (it is tiny),
   so the language choice is applied before the first paint. No inline scripts anywhere.
   1. English on/off: adds or removes class "hide-en" on <html>; remembered in localStorage.
   2. htmx: sends the CSRF token (from <meta name="csrf-token">) as X-CSRF-Token.
   3. htmx errors: 4xx/5xx answers (422 is swapped normally, see htmx-config in base.html)
      show their ".error-panel" in #flash; network failures show a message there.
   4. Live notices: an EventSource on the bell's stream bumps the unread count, shows the
      notice in #flash and fires a "citybrain:notice" event that pages may listen to. */
(function () {
  "use strict";

  var KEY = "citybrain.lang";
  var root = document.documentElement;

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function store(value) {
    try { window.localStorage.setItem(KEY, value); } catch (e) { /* private mode: not kept */ }
  }
  function englishShown() { return !root.classList.contains("hide-en"); }

  if (stored() === "zh") { root.classList.add("hide-en"); }

  function setupLangToggle() {
    var button = document.getElementById("lang-toggle");
    if (!button) { return; }
    button.hidden = false;
    button.setAttribute("aria-pressed", englishShown() ? "true" : "false");
    button.addEventListener("click", function () {
      var show = !englishShown();
      root.classList.toggle("hide-en", !show);
      button.setAttribute("aria-pressed", show ? "true" : "false");
      store(show ? "both" : "zh");
    });
  }

  function flashRegion() { return document.getElementById("flash"); }

  function showInFlash(nodes) {
    var region = flashRegion();
    if (!region) { return; }
    region.replaceChildren.apply(region, nodes);
    if (region.scrollIntoView) { region.scrollIntoView({ block: "nearest" }); }
  }

  function messageNode(zh, en) {
    var box = document.createElement("div");
    box.className = "flash flash--error";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.className = "flash__message";
    p.textContent = zh;
    var pe = document.createElement("p");
    pe.className = "en flash__message-en";
    pe.lang = "en";
    pe.textContent = en;
    box.appendChild(p);
    box.appendChild(pe);
    return box;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    var token = csrfToken();
    if (token) { evt.detail.headers["X-CSRF-Token"] = token; }
  });

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var panel = null;
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (xhr && type.indexOf("text/html") !== -1 && typeof xhr.response === "string") {
      // DOMParser never runs scripts; only the error panel is taken.
      var doc = new DOMParser().parseFromString(xhr.response, "text/html");
      var found = doc.querySelector(".error-panel");
      if (found) { panel = document.importNode(found, true); }
    }
    if (!panel) {
      var status = xhr ? xhr.status : 0;
      panel = messageNode("操作未完成（" + status + "），请稍后重试。",
        "The request did not succeed (" + status + "). Please try again later.");
    } else {
      panel.setAttribute("role", "alert");
    }
    showInFlash([panel]);
  });

  function networkError() {
    showInFlash([messageNode("网络连接失败，请检查网络后重试。",
      "Could not reach the server. Check the connection and try again.")]);
  }
  document.addEventListener("htmx:sendError", networkError);
  document.addEventListener("htmx:timeout", networkError);

  function noticeNode(notice) {
    var box = document.createElement("div");
    box.className = "flash flash--info notice-toast";
    var link = document.createElement("a");
    link.href = notice.link || "/notifications";
    link.className = "flash__message";
    link.textContent = notice.title;
    box.appendChild(link);
    if (notice.title_en) {
      var en = document.createElement("p");
      en.className = "en flash__message-en";
      en.lang = "en";
      en.textContent = notice.title_en;
      box.appendChild(en);
    }
    return box;
  }

  // 4. Live notices: new ones arrive as server-sent events, without reloading.
  function setupNotices() {
    var bell = document.getElementById("notice-bell");
    var count = document.getElementById("notice-count");
    if (!bell || !count || !window.EventSource) { return; }
    var url = bell.getAttribute("data-stream") + "?after_id=" + (bell.getAttribute("data-last-id") || "0");
    var source = new EventSource(url);
    source.addEventListener("notice", function (evt) {
      var notice = JSON.parse(evt.data);
      var unread = (parseInt(count.textContent, 10) || 0) + 1;
      count.textContent = String(unread);
      count.setAttribute("aria-label", "未读 " + unread);
      bell.classList.add("notice-bell--new");
      var region = flashRegion();
      if (region) { region.appendChild(noticeNode(notice)); }
      document.dispatchEvent(new CustomEvent("citybrain:notice", { detail: notice }));
    });
  }

  // 5. Installable, and usable on a slow or lost connection (static/sw.js).
  function registerServiceWorker() {
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* optional */ });
    }
  }

  function setup() {
    setupLangToggle();
    setupNotices();
    registerServiceWorker();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
