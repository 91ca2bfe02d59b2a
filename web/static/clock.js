/* Running clock: updates elapsed times every second; the page works without it. */
(function () {
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(s) {
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    return h ? h + "h " + pad(m) + "m " + pad(sec) + "s" : (m ? m + "m " + pad(sec) + "s" : sec + "s");
  }
  function tick() {
    var clocks = document.querySelectorAll("[data-started]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var secs = Math.max(0, Math.floor((Date.now() - Date.parse(el.getAttribute("data-started"))) / 1000));
      el.textContent = fmt(secs);
      var planned = el.getAttribute("data-planned");
      if (planned && secs > planned * 60) { el.className = "clock over"; }
    }
  }
  tick();
  setInterval(tick, 1000);
})();
