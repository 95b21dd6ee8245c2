// dom.mjs: the few DOM helpers the pages share. Text always goes in as text (never as HTML),
// so what customers and agents type cannot become markup.

// h('button', { class: 'primary', type: 'button', onclick: fn }, 'Send') builds an element.
// Props: `class`, `text`, `on<event>` handlers, `hidden`/`disabled`/... booleans, everything
// else as an attribute (aria-*, data-*, for, ...). Children: nodes or strings; null skipped.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replace an element's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Set text only when it changes (a live region re-announces every write).
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function show(el, visible) {
  el.hidden = !visible;
}

// A label and its control, wired by id: field('Your name', h('input', {...})).
let nextId = 1;
export function field(label, control, hint) {
  if (!control.id) control.id = `rf${nextId++}`;
  const parts = [h('label', { for: control.id, text: label })];
  if (hint) {
    const hintEl = h('p', { class: 'hint', id: `${control.id}-hint`, text: hint });
    control.setAttribute('aria-describedby', hintEl.id);
    parts.push(hintEl);
  }
  parts.push(control);
  return h('div', { class: 'field' }, parts);
}

// <select> from [{code, name}] (or strings), with `value` selected.
export function options(select, items, value) {
  fill(select, items.map((it) => {
    const code = typeof it === 'string' ? it : it.code;
    const name = typeof it === 'string' ? it : it.name || it.code;
    return h('option', { value: code, text: name });
  }));
  if (value !== undefined && value !== null) select.value = value;
  return select;
}

// "about 3 minutes": how long, for a person (seconds in).
export function formatWait(seconds) {
  if (seconds === null || seconds === undefined) return null;
  if (seconds < 60) return 'less than a minute';
  const min = Math.round(seconds / 60);
  return min === 1 ? 'about 1 minute' : `about ${min} minutes`;
}

// Clock time of a message or contact (epoch ms), with the date when it is not today.
export function formatTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' })} ${time}`;
}

// "4 min 20 s" between two times (ms).
export function formatDuration(fromMs, toMs) {
  if (!fromMs || !toMs || toMs < fromMs) return '';
  const s = Math.round((toMs - fromMs) / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

// A stylesheet of rapportd's for a shadow root (a <link>, so CSP-restricted pages may allow
// it by origin; no inline styles anywhere).
export function stylesheet(href) {
  return h('link', { rel: 'stylesheet', href: String(href) });
}
