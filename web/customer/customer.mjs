// The customer page at /customer/: the widget on a page of its own. The query string may
// preset what an embedding page would set with data attributes:
//   /customer/?language=es&topic=billing&name=Ada
import { mount } from './mount.mjs';

const q = new URLSearchParams(location.search);
mount(document.getElementById('rapport-widget'), {
  mode: 'inline',
  heading: 'h1', // the page's own heading
  language: q.get('language') || undefined,
  topic: q.get('topic') || undefined,
  name: q.get('name') || undefined,
});
