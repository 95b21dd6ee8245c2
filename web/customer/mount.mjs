// mount.mjs: put the customer widget into a page, inside a shadow root so the host page's
// styles and ours never mix. Used by /customer/ (inline, the whole page) and by /embed.js on
// other sites (floating: a "Talk to us" button in the corner that opens the panel; or inline
// in an element the page names).

import { h, stylesheet } from '../lib/dom.mjs';
import { mountWidget } from './widget.mjs';

const OPEN_KEY = 'rapport.widget.open';

// host: an element of the page (its shadow root is created here).
// opts: { mode: 'inline' | 'floating', name, language, topic, title, label }
export function mount(host, opts = {}) {
  const shadow = host.attachShadow({ mode: 'open' });
  const floating = opts.mode === 'floating';
  // Unstyled markup must not flash over the host page: show once the styles are in.
  host.style.visibility = 'hidden';
  let pending = 2;
  const loaded = () => { if (--pending === 0) host.style.visibility = ''; };
  for (const file of ['../lib/base.css', './widget.css']) {
    const link = stylesheet(new URL(file, import.meta.url));
    link.addEventListener('load', loaded);
    link.addEventListener('error', loaded);
    shadow.append(link);
  }
  const title = opts.title || 'Talk to us';
  const panel = h('section', { class: `rw-panel ${floating ? 'floating' : 'inline'}`, 'aria-label': title, id: 'rw-panel' });
  const frame = h('div', { class: 'rw', lang: 'en' }, panel);
  shadow.append(frame);
  const widget = mountWidget(panel, { ...opts, title });
  if (floating) addLauncher(frame, panel, opts.label || title);
  return widget;
}

function addLauncher(frame, panel, label) {
  const launcher = h('button', { type: 'button', class: 'rw-launcher', 'aria-controls': 'rw-panel', text: label });
  const close = h('button', { type: 'button', class: 'rw-close secondary', text: 'Minimise',
    'aria-controls': 'rw-panel' });
  panel.querySelector('.rw-title').after(close);
  const setOpen = (open, focus) => {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute('aria-expanded', String(open));
    close.setAttribute('aria-expanded', String(open));
    try {
      sessionStorage.setItem(OPEN_KEY, open ? '1' : '');
    } catch {
      // storage blocked
    }
    if (focus) (open ? panel.querySelector('input, textarea, button:not([hidden])') : launcher)?.focus();
  };
  launcher.addEventListener('click', () => setOpen(true, true));
  close.addEventListener('click', () => setOpen(false, true));
  panel.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') setOpen(false, true); });
  frame.append(launcher);
  let wasOpen = false;
  try {
    wasOpen = sessionStorage.getItem(OPEN_KEY) === '1';
  } catch {
    // storage blocked
  }
  setOpen(wasOpen, false);
}
