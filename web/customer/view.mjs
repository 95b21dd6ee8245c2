// view.mjs: the customer widget's elements, built once; widget.mjs shows and fills them.
// Every control carries the visible name issue 3 gives it ("Your name", "Message", "Send",
// "See an agent", "Cancel", "Hang up", "How was your call?", "Comments", "Send feedback").

import { h, field } from '../lib/dom.mjs';
import { ChatView } from '../lib/chat.mjs';
import { CallControls, VideoStage } from '../lib/callui.mjs';

export const RATINGS = [
  [1, '1 – Very poor'], [2, '2 – Poor'], [3, '3 – Okay'], [4, '4 – Good'], [5, '5 – Excellent'],
];

// handlers: { see, start, back, cancel, hangup, sendChat, survey, skipSurvey, again }
export function buildView(local, handlers, { title, heading = 'h2' }) {
  const v = {};
  v.title = h(heading === 'h1' ? 'h1' : 'h2', { class: 'rw-title', text: title });
  v.state = h('p', { class: 'rw-state', role: 'status' });
  v.detail = h('p', { class: 'rw-detail', 'aria-live': 'polite' });
  v.alert = h('p', { class: 'rw-alert', role: 'alert', hidden: true });

  v.name = h('input', { autocomplete: 'name', maxlength: 64, enterkeyhint: 'done' });
  v.nameField = field('Your name', v.name, 'So the agent knows what to call you. You may leave it empty.');

  v.language = h('select');
  v.topic = h('select');
  v.languageField = field('Language', v.language);
  v.topicField = field('Topic', v.topic, 'What would you like to talk about?');
  v.start = h('button', { type: 'submit', text: 'Start video call' });
  v.back = h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: handlers.back });
  v.choose = h('form', { class: 'rw-choose', hidden: true, onsubmit: (ev) => { ev.preventDefault(); handlers.start(); } },
    v.languageField, v.topicField,
    h('p', { class: 'hint', text: 'Your browser will ask to use your camera and microphone. You will see yourself before the call starts.' }),
    h('div', { class: 'row' }, v.start, v.back));

  v.see = h('button', { type: 'button', class: 'primary big', text: 'See an agent', onclick: handlers.see });
  v.again = h('button', { type: 'button', class: 'secondary', text: 'See an agent again', onclick: handlers.again, hidden: true });

  v.stage = new VideoStage('Agent video');
  // an interpreter joining or on the call (issue 5)
  v.interp = h('p', { class: 'rw-interp', 'aria-live': 'polite', hidden: true });
  // a live region of its own: position and wait are read out when they change
  v.queue = h('div', { class: 'rw-queue', role: 'status', hidden: true });
  v.position = h('p', { class: 'rw-position' });
  v.wait = h('p', { class: 'rw-wait' });
  v.queue.append(v.position, v.wait);
  v.cancel = h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: handlers.cancel, hidden: true });
  v.controls = new CallControls(local, handlers.hangup);

  v.survey = buildSurvey(v, handlers);
  v.thanks = h('p', { class: 'rw-thanks', hidden: true, text: 'Thank you for your feedback.' });

  v.chat = new ChatView({
    self: 'customer',
    label: 'Chat',
    placeholder: 'Write to us here',
    names: (m) => (m.from === 'customer' ? 'You' : m.from === 'agent' ? (m.name || 'Agent') : 'Service'),
    send: handlers.sendChat,
  });

  v.body = h('div', { class: 'rw-body' },
    v.state, v.detail, v.alert, v.nameField, v.stage.el, v.interp, v.choose, v.queue,
    h('div', { class: 'row rw-actions' }, v.see, v.again, v.cancel), v.controls.el,
    v.survey, v.thanks, v.chat.el);
  return v;
}

function buildSurvey(v, handlers) {
  v.ratings = RATINGS.map(([n, label]) => {
    const input = h('input', { type: 'radio', name: 'rw-rating', value: n, id: `rw-rating-${n}` });
    return h('label', { class: 'rating', for: input.id }, input, h('span', { text: label }));
  });
  v.comments = h('textarea', { rows: 3, maxlength: 2000 });
  v.sendFeedback = h('button', { type: 'submit', text: 'Send feedback' });
  v.skip = h('button', { type: 'button', class: 'secondary', text: 'No thanks', onclick: handlers.skipSurvey });
  v.surveyError = h('p', { class: 'rw-alert', role: 'alert', hidden: true });
  return h('form', { class: 'rw-survey', hidden: true, onsubmit: (ev) => { ev.preventDefault(); handlers.survey(); } },
    h('fieldset', {},
      h('legend', { text: 'How was your call?' }),
      h('div', { class: 'ratings' }, v.ratings)),
    field('Comments', v.comments, 'Optional.'),
    v.surveyError,
    h('div', { class: 'row' }, v.sendFeedback, v.skip));
}

export function selectedRating(v) {
  const on = v.ratings.map((l) => l.querySelector('input')).find((i) => i.checked);
  return on ? Number(on.value) : 0;
}
