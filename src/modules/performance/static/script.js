// Cityscape page analytics: one beacon per page view. No cookies, nothing kept in the browser.
// <script defer src="https://…/performance/script.js" data-domain="your-service-slug"></script>
// Custom events: window.cityscapeAnalytics('Download', { file: 'form.pdf' }).
/* global document, window, navigator, location, XMLHttpRequest, URL */
(function () {
  var script = document.currentScript;
  var domain = script && script.getAttribute('data-domain');
  if (!domain) return;
  var api = script.getAttribute('data-api') || new URL('/performance/api/event', script.src).href;
  function send(name, props) {
    var body = JSON.stringify({
      n: name,
      u: location.href,
      d: domain,
      r: document.referrer || null,
      w: window.innerWidth,
      p: props || null,
    });
    if (navigator.sendBeacon && navigator.sendBeacon(api, body)) return;
    var x = new XMLHttpRequest();
    x.open('POST', api, true);
    x.setRequestHeader('Content-Type', 'text/plain');
    x.send(body);
  }
  send('pageview');
  window.cityscapeAnalytics = send;
})();
