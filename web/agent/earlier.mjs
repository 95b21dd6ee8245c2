// earlier.mjs: the customer's earlier contacts in the ring and call view (ring.earlier,
// docs/protocol.md): when, who answered, which interpreters joined, how long, the outcome,
// notes and the survey.

import { fill, formatDuration, formatTime, h } from '/lib/dom.mjs';

const OUTCOMES = {
  resolved: 'Resolved', follow_up: 'Follow-up needed', not_resolved: 'Not resolved',
  escalated: 'Escalated', other: 'Other', interrupted: 'Interrupted', abandoned: 'Left before an answer',
  no_agent: 'No agent', failed: 'Failed',
};

export function outcomeName(code) {
  return OUTCOMES[code] || code || '';
}

// pairText("es,en") names a language pair (default: the codes).
export function renderEarlier(list, earlier, pairText = (pair) => pair.replace(',', ' ↔ ')) {
  if (!earlier?.length) {
    fill(list, h('li', { class: 'hint', text: 'None: this is their first contact.' }));
    return;
  }
  fill(list, earlier.map((c) => {
    const facts = [];
    if (c.answered) {
      facts.push(`answered by ${c.agent || 'an agent'}`);
      const talk = formatDuration(c.answered, c.ended);
      if (talk) facts.push(talk);
    } else {
      facts.push('not answered');
    }
    // each interpreter once, however often they joined
    const interpreters = new Set((c.interpreters || []).map((ip) => `${ip.name} (${pairText(ip.languages || '')})`));
    for (const ip of interpreters) facts.push(`with interpreter ${ip}`);
    if (c.outcome) facts.push(outcomeName(c.outcome));
    return h('li', { class: 'contact', 'data-call': c.call || '' },
      h('p', { class: 'contact-head' },
        h('time', { datetime: c.queued ? new Date(c.queued).toISOString() : '', text: formatTime(c.queued) }),
        ` — ${facts.join(', ')}`),
      c.notes ? h('p', { class: 'contact-notes' }, h('span', { class: 'k', text: 'Notes: ' }), c.notes) : null,
      c.rating ? h('p', { class: 'contact-survey' },
        h('span', { class: 'k', text: 'Survey: ' }), `${c.rating} of 5`, c.comment ? ` — “${c.comment}”` : '') : null);
  }));
}
