/* Rapport customer widget: one script tag on any page.
 *
 *   <script src="https://rapport.example.com/embed.js" async
 *           data-language="es" data-topic="billing"></script>
 *
 * Optional attributes (all presets; without them the customer chooses):
 *   data-language  language code offered by rapportd (e.g. "en"); no language question then
 *   data-topic     topic code (e.g. "billing"); no topic question then
 *   data-name      the customer's name, when the site knows it
 *   data-title     the widget's heading and button text (default "Talk to us")
 *   data-target    CSS selector of an element to show the widget in (inline); without it a
 *                  "Talk to us" button floats in the page's bottom right corner
 *
 * This is a classic script (so it works from any page, with or without modules); it loads the
 * widget's ES modules from the same rapportd with import(). See docs/embed.md: the page's
 * origin must be in rapportd's allowed_origins.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  if (window.__rapportWidget) return; // the tag twice on one page
  window.__rapportWidget = true;
  var data = script.dataset;
  var base = new URL('/', script.src);
  var opts = {
    language: data.language || undefined,
    topic: data.topic || undefined,
    name: data.name || undefined,
    title: data.title || undefined,
  };

  function start() {
    var host = data.target ? document.querySelector(data.target) : null;
    if (data.target && !host) console.error('Rapport: no element matches data-target="' + data.target + '"; showing the floating button');
    if (!host) {
      host = document.createElement('div');
      host.setAttribute('data-rapport-widget', '');
      document.body.appendChild(host);
    }
    opts.mode = data.target && host.parentNode && !host.hasAttribute('data-rapport-widget') ? 'inline' : 'floating';
    import(new URL('customer/mount.mjs', base).href).then(function (m) {
      m.mount(host, opts);
    }, function (err) {
      console.error('Rapport: could not load the widget from ' + base.origin +
        ' (is the server reachable, and does it send CORS headers?)', err);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
