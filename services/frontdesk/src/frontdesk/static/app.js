// ParkGrid front desk: the few lines htmx does not cover.
// Today's live feed: server-sent events tell which panel changed; htmx reloads that panel.
(function () {
  "use strict";

  function timeOf(update, zone) {
    if (update.local_start) return update.local_start + " ";
    var range = update.summary.session || update.summary.time || update.summary.event_time;
    if (!range || !range.starts_at) return "";
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone || undefined };
    try {
      return new Date(range.starts_at).toLocaleTimeString(document.documentElement.lang, options) + " ";
    } catch (e) {
      return range.starts_at.slice(11, 16) + " ";
    }
  }

  function titleOf(update) {
    var title = update.summary.offering_title || update.summary.event_title || update.summary.title;
    var lang = document.documentElement.lang;
    return title ? (title[lang] || title.en || title.fr || "") : (update.summary.space_name || "");
  }

  function follow(container) {
    var feed = document.getElementById("live-feed");
    var state = document.getElementById("live-state");
    var source = new EventSource(container.getAttribute("data-live"));
    var lost = false;
    source.onopen = function () {
      if (state) state.className = "dot on";
      // back after a break: what happened meanwhile is in the panels, not in the feed
      if (lost && window.htmx) ["bookings", "events", "rooms", "visitors"].forEach(function (panel) {
        window.htmx.trigger(document.body, "refresh-" + panel);
      });
      lost = false;
    };
    source.onerror = function () { lost = true; if (state) state.className = "dot"; };
    source.addEventListener("update", function (message) {
      var update = JSON.parse(message.data);
      if (window.htmx) window.htmx.trigger(document.body, "refresh-" + update.panel);
      if (!feed) return;
      var item = document.createElement("li");
      item.setAttribute("data-subject", update.subject);
      var kind = update.type.split(".").slice(-2).join(" ");
      item.textContent = timeOf(update, container.getAttribute("data-time-zone")) + kind + " · " + titleOf(update) + (update.summary.member_id ? " · " + update.summary.member_id : "");
      feed.insertBefore(item, feed.firstChild);
      while (feed.children.length > 30) feed.removeChild(feed.lastChild);
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy"));
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value);
        else document.execCommand("copy");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(follow);
    copyButtons();
  });
})();
