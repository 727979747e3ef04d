/* home.js: the resident home's notice list updates live.
   citybrain.js keeps the one EventSource on /api/v1/notifications/stream and fires
   "citybrain:notice" for every new notice; here each one is put at the top of
   #home-notice-list (an aria-live region), newest first, at most eight kept. */
(function () {
  "use strict";

  var KEEP = 8;

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function localTime(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return ""; }
    return when.getFullYear() + "-" + two(when.getMonth() + 1) + "-" + two(when.getDate()) +
      " " + two(when.getHours()) + ":" + two(when.getMinutes());
  }

  function noticeItem(notice) {
    var li = document.createElement("li");
    li.className = "home-list__item home-notice--unread home-notice--new";
    li.setAttribute("data-notice", String(notice.id));
    var link = document.createElement("a");
    link.className = "home-list__title";
    link.href = notice.link || "/notifications";
    link.textContent = notice.title;
    li.appendChild(link);
    if (notice.title_en) {
      var en = document.createElement("span");
      en.className = "en";
      en.lang = "en";
      en.textContent = " " + notice.title_en;
      li.appendChild(en);
    }
    var meta = document.createElement("p");
    meta.className = "home-list__meta";
    var time = document.createElement("time");
    time.setAttribute("datetime", notice.created_at || "");
    time.textContent = localTime(notice.created_at);
    meta.appendChild(time);
    li.appendChild(meta);
    return li;
  }

  document.addEventListener("citybrain:notice", function (evt) {
    var list = document.getElementById("home-notice-list");
    var notice = evt.detail;
    if (!list || !notice) { return; }
    if (list.querySelector('[data-notice="' + String(notice.id) + '"]')) { return; }
    list.insertBefore(noticeItem(notice), list.firstChild);
    while (list.children.length > KEEP) { list.removeChild(list.lastChild); }
    var empty = document.getElementById("no-home-notices");
    if (empty) { empty.hidden = true; }
  });
})();
