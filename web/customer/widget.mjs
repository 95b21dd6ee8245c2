// widget.mjs: the customer widget (issue 3): chat, "See an agent", language and topic, camera
// preview, the queue with position and estimated wait, the call, and the survey after it. In a
// call an interpreter may join (issue 5): "An interpreter is joining…", then their video as a
// second tile and "Interpreter <name> is on the call", back to 1:1 when they leave.
// mountWidget() builds it into any element or shadow root: rapportd's own /customer/ page
// and web/embed.js (the one-script-tag embed on another site) both use it.
//
// All state the widget shows comes from rapportd (docs/protocol.md), so a reload at any point
// resumes: the session token is in sessionStorage, welcome/chat_history/queued/ringing/
// call_started/call_ended say where we are.

import { CallMedia, LocalMedia, RapportClient, mediaErrorText } from '../lib/rapport.mjs';
import { formatWait, options, setText } from '../lib/dom.mjs';
import { buildView, selectedRating } from './view.mjs';

const NAME_KEY = 'rapport.customer.name';
const SURVEY_DONE_KEY = 'rapport.customer.surveyed';

// Phases: what the body shows.
//   idle: name, chat, "See an agent"     choose: language/topic, preview, "Start video call"
//   queued/ringing: preview, position and wait, "Cancel"     call: videos, call controls
//   survey: "How was your call?"        thanks: after the survey
const PHASES = {
  idle: { name: true, see: true, video: 'off' },
  choose: { name: true, choose: true, video: 'preview' },
  requesting: { video: 'preview', cancel: false },
  queued: { video: 'preview', queue: true, cancel: true },
  ringing: { video: 'preview', queue: true, cancel: true },
  call: { video: 'call', controls: true },
  survey: { survey: true, video: 'off' },
  thanks: { thanks: true, again: true, video: 'off' },
};

export class CustomerWidget {
  // opts: { name, language, topic } presets (codes), { title, heading: 'h1' | 'h2' }.
  constructor(root, opts = {}) {
    this.opts = opts;
    this.client = new RapportClient('customer');
    this.call = null;        // id of the session's call that has not ended
    this.surveyCall = null;  // id of the ended call the survey is about
    this.media = null;       // CallMedia in a call
    this.interp = null;      // the interpreter on the call ({name}), from participants
    this.agentName = '';     // the agent's name (call_started), for the captions with three
    this.phase = 'idle';
    this.languages = [];
    this.topics = [];
    this.lastName = null;    // the name rapportd has for us
    this.local = new LocalMedia(null);
    this.v = buildView(this.local, {
      see: () => this.see(),
      start: () => this.start(),
      back: () => this.back(),
      cancel: () => this.hangup(),
      hangup: () => this.hangup(),
      sendChat: (text) => this.sendChat(text),
      survey: () => this.sendSurvey(),
      skipSurvey: () => this.skipSurvey(),
      again: () => this.see(),
    }, { title: opts.title || 'Talk to us', heading: opts.heading });
    this.local.video = this.v.stage.self;
    root.append(this.v.title, this.v.body);
    this.v.name.value = opts.name || stored(NAME_KEY) || '';
    this.v.name.addEventListener('change', () => store(NAME_KEY, this.v.name.value.trim()));
    this.listen();
    this.setPhase('idle');
    this.say('Connecting…');
    this.client.connect();
  }

  /* ---------------------------------------------------------------- what is shown */

  setPhase(phase) {
    this.phase = phase;
    const p = PHASES[phase];
    const v = this.v;
    v.nameField.hidden = !p.name;
    v.choose.hidden = !p.choose;
    v.see.hidden = !p.see;
    v.again.hidden = !p.again;
    v.cancel.hidden = !p.cancel;
    v.queue.hidden = !p.queue;
    v.survey.hidden = !p.survey;
    v.thanks.hidden = !p.thanks;
    v.stage.setMode(p.video);
    v.controls.show(Boolean(p.controls));
    if (!p.video || p.video === 'off') this.local.stop();
    if (phase !== 'call') {
      v.stage.setNote('');
      this.showInterpreter(null, false);
    }
  }

  say(state, detail = '') {
    setText(this.v.state, state);
    setText(this.v.detail, detail);
  }

  alert(text) {
    setText(this.v.alert, text || '');
    this.v.alert.hidden = !text;
  }

  name() {
    return this.v.name.value.trim();
  }

  /* ---------------------------------------------------------------- the person's actions */

  // "See an agent": choose language and topic when there is a choice and the page did not
  // preset it, else straight to the camera and the queue.
  see() {
    this.alert('');
    const needLanguage = !this.preset('language', this.languages) && this.languages.length > 1;
    const needTopic = !this.preset('topic', this.topics) && this.topics.length > 1;
    this.v.languageField.hidden = !needLanguage;
    this.v.topicField.hidden = !needTopic;
    if (!needLanguage && !needTopic) {
      this.start();
      return;
    }
    this.setPhase('choose');
    this.say('See an agent', 'Choose what suits you, then start the video call.');
    this.preview();
    (needLanguage ? this.v.language : this.v.topic).focus();
  }

  preset(kind, list) {
    const code = this.opts[kind];
    return code && list.some((x) => x.code === code) ? code : null;
  }

  async preview() {
    try {
      await this.local.get();
      return true;
    } catch (err) {
      this.alert(mediaErrorText(err));
      return false;
    }
  }

  back() {
    this.setPhase('idle');
    this.say('How can we help?', '');
  }

  async start() {
    const name = this.name() || 'Guest';
    store(NAME_KEY, this.name());
    const language = this.preset('language', this.languages) || this.v.language.value || undefined;
    const topic = this.preset('topic', this.topics) || this.v.topic.value || undefined;
    this.alert('');
    this.setPhase('requesting');
    this.say('Starting your camera…', 'Please allow the camera and microphone if your browser asks.');
    if (!(await this.preview())) {
      this.setPhase(this.v.languageField.hidden && this.v.topicField.hidden ? 'idle' : 'choose');
      this.say('The camera did not start', '');
      return;
    }
    this.say('Looking for an agent…', '');
    try {
      const fields = { name };
      if (language) fields.language = language;
      if (topic) fields.topic = topic;
      await this.client.request('call_request', fields);
      this.lastName = name;
    } catch (err) {
      if (err.code === 'disconnected') return; // the resumed session says where we are
      if (err.code === 'already_in_call') return; // its state follows
      this.setPhase('idle');
      this.say('We could not put you through', err.message);
    }
  }

  hangup() {
    if (this.call) this.client.send('hangup', { call: this.call });
  }

  sendChat(text) {
    const fields = { text };
    const name = this.name();
    if (name && name !== this.lastName) fields.name = name;
    return this.client.request('chat', fields).then((msg) => {
      if (fields.name) this.lastName = fields.name;
      return msg.message;
    });
  }

  async sendSurvey() {
    const rating = selectedRating(this.v);
    const v = this.v;
    v.surveyError.hidden = true;
    if (!rating) {
      setText(v.surveyError, 'Please choose a rating from 1 to 5.');
      v.surveyError.hidden = false;
      v.ratings[0].querySelector('input').focus();
      return;
    }
    const fields = { call: this.surveyCall, rating };
    const comment = v.comments.value.trim();
    if (comment) fields.comment = comment;
    v.sendFeedback.disabled = true;
    try {
      await this.client.request('survey', fields);
      this.surveyDone();
    } catch (err) {
      if (err.code === 'bad_state' || err.code === 'unknown_call') {
        this.surveyDone(); // already answered (another tab) or no longer ours
        return;
      }
      setText(v.surveyError, `Your feedback was not sent (${err.message}). Please try again.`);
      v.surveyError.hidden = false;
    } finally {
      v.sendFeedback.disabled = false;
    }
  }

  surveyDone() {
    store(SURVEY_DONE_KEY, this.surveyCall || '');
    this.surveyCall = null;
    this.setPhase('thanks');
    this.say('Thank you', 'Your feedback helps us help you.');
  }

  skipSurvey() {
    store(SURVEY_DONE_KEY, this.surveyCall || '');
    this.surveyCall = null;
    this.setPhase('idle');
    this.say('How can we help?', 'Write to us below, or see an agent again.');
  }

  /* ---------------------------------------------------------------- rapportd's messages */

  listen() {
    const c = this.client;
    c.on('open', (msg) => this.onWelcome(msg));
    c.on('close', (ev) => this.onClose(ev));
    c.on('chat_history', (msg) => this.v.chat.setHistory(msg.messages || []));
    c.on('chat', (msg) => { if (msg.re === undefined && msg.message) this.v.chat.add(msg.message); });
    c.on('queued', (msg) => this.onQueued(msg));
    c.on('ringing', (msg) => this.onRinging(msg));
    c.on('call_started', (msg) => this.onCallStarted(msg));
    c.on('media_state', (msg) => this.onMediaState(msg));
    c.on('peer_state', (msg) => this.onPeerState(msg));
    c.on('call_ended', (msg) => this.onCallEnded(msg));
    c.on('participants', (msg) => this.onParticipants(msg));
    c.on('error', (msg) => { if (msg.re === undefined) this.alert(msg.message); });
  }

  onWelcome(msg) {
    this.languages = msg.languages || [];
    this.topics = msg.topics || [];
    options(this.v.language, this.languages, this.preset('language', this.languages) || this.v.language.value || undefined);
    options(this.v.topic, this.topics, this.preset('topic', this.topics) || this.v.topic.value || undefined);
    if (msg.name) {
      this.lastName = msg.name;
      if (!this.name()) this.v.name.value = msg.name;
    }
    if (!msg.resumed) this.v.chat.clear();
    if (msg.call) return; // its state follows
    if (this.call) this.endLocally('The call ended while the connection was down.');
    if (msg.survey_call && stored(SURVEY_DONE_KEY) !== msg.survey_call) {
      this.askSurvey(msg.survey_call, 'Call ended');
      return;
    }
    if (this.phase === 'idle' || this.phase === 'requesting') {
      this.setPhase('idle');
      this.say('How can we help?', 'Write to us below, or see an agent face to face.');
    }
  }

  onClose(ev) {
    if (ev.final) {
      this.say('Disconnected', ev.code === 4001 ? 'This conversation continues in another window.'
        : 'Please reload the page to start again.');
      this.v.chat.setEnabled(false);
    } else {
      setText(this.v.detail, 'The connection dropped. Reconnecting…');
    }
  }

  onQueued(msg) {
    this.call = msg.call;
    if (this.phase !== 'queued' && this.phase !== 'ringing') this.setPhase('queued');
    this.phase = 'queued';
    this.preview();
    this.showQueue(msg);
  }

  showQueue(msg) {
    const v = this.v;
    const pos = msg.position;
    setText(v.position, pos === 1 ? 'You are next in line.' : `You are number ${pos} in line.`);
    const wait = formatWait(msg.estimated_wait_s);
    setText(v.wait, wait ? `Estimated wait: ${wait}.`
      : 'No agent for your language and topic is available right now. Please stay: you keep your place.');
    v.queue.dataset.position = String(pos);
    v.queue.dataset.waitS = msg.estimated_wait_s === null || msg.estimated_wait_s === undefined ? '' : String(msg.estimated_wait_s);
    this.say('Waiting for an agent', '');
  }

  onRinging(msg) {
    this.call = msg.call;
    if (this.phase !== 'queued' && this.phase !== 'ringing') this.setPhase('ringing');
    this.phase = 'ringing';
    this.preview();
    setText(this.v.position, 'An agent is being called for you.');
    setText(this.v.wait, 'It will only take a moment.');
    this.v.queue.dataset.position = '0';
    this.say('Waiting for an agent', '');
  }

  async onCallStarted(msg) {
    this.call = msg.call;
    this.agentName = msg.peer?.name || '';
    this.setPhase('call');
    const who = msg.peer?.name ? `You are talking with ${msg.peer.name}.` : 'You are talking with an agent.';
    this.say('In call', `${who} Connecting video…`);
    if (msg.peer && !msg.peer.connected) this.v.stage.setNote('The agent\'s connection dropped. Waiting for them…');
    this.media?.close();
    try {
      this.media = new CallMedia(this.client, this.call, await this.local.get(), {
        videos: { agent: this.v.stage.remote, interpreter: this.v.stage.second },
        fallback: 'agent',
        receive: this.interp ? 1 : 0,
      });
      await this.media.start();
    } catch (err) {
      if (this.call === msg.call) setText(this.v.detail, `The video could not start: ${err.message}`);
    }
  }

  onParticipants(msg) {
    if (msg.call !== this.call || this.phase !== 'call') return;
    const ip = (msg.participants || []).find((p) => p.role === 'interpreter');
    this.showInterpreter(ip ? { name: ip.name, mode: msg.mode } : null, msg.invite?.state === 'ringing');
    this.media?.participants(msg);
  }

  showInterpreter(ip, joining) {
    this.interp = ip;
    const v = this.v;
    let text = ip ? `Interpreter ${ip.name} is on the call.` : joining ? 'An interpreter is joining…' : '';
    if (ip?.mode === 'simultaneous') text += ' You hear the interpretation over the agent\'s voice.';
    setText(v.interp, text);
    v.interp.hidden = !text;
    v.stage.setSecond(Boolean(ip), ip ? `Interpreter ${ip.name}` : '');
    v.stage.setCaption(ip ? `Agent ${this.agentName || ''}`.trim() : ''); // who is who, with two
  }

  onMediaState(msg) {
    if (msg.call !== this.call) return;
    if (msg.state === 'connected') setText(this.v.detail, 'Connected. You can see and hear each other.');
    else setText(this.v.detail, `The video connection failed${msg.reason ? ` (${msg.reason})` : ''}.`);
  }

  onPeerState(msg) {
    if (msg.call !== this.call) return;
    this.v.stage.setNote(msg.state === 'connected' ? '' : 'The agent\'s connection dropped. Waiting for them…');
  }

  onCallEnded(msg) {
    if (msg.call !== this.call && this.call !== null) return;
    const wasCall = this.phase === 'call' || msg.survey;
    this.endLocally(null);
    if (msg.survey && stored(SURVEY_DONE_KEY) !== msg.call) {
      this.askSurvey(msg.call, 'Call ended', endedWhy(msg));
      return;
    }
    this.setPhase('idle');
    if (wasCall) this.say('Call ended', endedWhy(msg));
    else this.say('You left the queue', msg.by === 'customer' ? 'You can write to us below, or see an agent again.' : endedWhy(msg));
  }

  endLocally(detail) {
    this.call = null;
    this.media?.close();
    this.media = null;
    this.local.stop();
    this.setPhase('idle');
    if (detail) this.say('Call ended', detail);
  }

  askSurvey(call, state, detail = '') {
    this.surveyCall = call;
    this.v.ratings.forEach((l) => { l.querySelector('input').checked = false; });
    this.v.comments.value = '';
    this.setPhase('survey');
    this.say(state, detail || 'Thank you for talking with us.');
  }
}

function endedWhy(msg) {
  switch (msg.reason) {
    case 'hangup': return msg.by === 'agent' ? 'The agent ended the call.' : 'You ended the call.';
    case 'disconnected': return 'The connection was lost.';
    case 'interrupted': return 'The call was cut off by a problem on our side. We are sorry.';
    case 'shutdown': return 'The service is restarting. Please try again in a moment.';
    case 'media_error': return 'The video connection could not be set up.';
    default: return '';
  }
}

function stored(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // storage blocked: nothing to keep
  }
}

export function mountWidget(root, opts) {
  return new CustomerWidget(root, opts);
}
