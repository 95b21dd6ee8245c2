// interp.mjs: the agent console's interpreter panel (issue 5, docs/protocol.md "Interpreters"):
// "Invite interpreter" with a language (the customer's preselected), the invite's state
// ("Ringing ines…", nobody answered, nobody available), "Remove interpreter" (also stops a
// ring), the Consecutive/Simultaneous switch while one is on the call, and the interpreter's
// tile in the video stage (name and languages). The media side (receiving the third party) is
// CallMedia.participants(); this is what the agent sees and does.

import { options, setText } from '/lib/dom.mjs';

export class InterpreterPanel {
  // ui: the elements (interp, interpState, interpInvite, interpLanguage, invite, interpMode,
  // removeInterp); stage: the VideoStage; client: the RapportClient.
  constructor({ ui, client, stage }) {
    this.ui = ui;
    this.client = client;
    this.stage = stage;
    this.catalog = [];     // [{code, name}] offered languages (welcome)
    this.call = null;
    this.reset();
    ui.invite.addEventListener('click', () => this.invite());
    ui.removeInterp.addEventListener('click', () => this.remove());
    for (const radio of this.radios()) radio.addEventListener('change', () => this.setMode(radio.value));
  }

  reset() {
    this.joined = null;    // {name, languages} of the interpreter on the call
    this.ringing = null;   // {interpreter, language} while one is rung
    this.mode = 'consecutive';
    this.message = '';
    this.busy = false;
  }

  radios() {
    return [...this.ui.interpMode.querySelectorAll('input[type="radio"]')];
  }

  setCatalog(languages) {
    if (Array.isArray(languages) && languages.length) this.catalog = languages;
  }

  languageName(code) {
    return this.catalog.find((l) => l.code === code)?.name || code;
  }

  pairText(pair) {
    return String(pair || '').split(',').filter(Boolean).map((c) => this.languageName(c)).join(' ↔ ');
  }

  // A call is on screen: language = the call's (the customer's) language, preselected.
  start(call, language) {
    if (this.call !== call) this.reset();
    this.call = call;
    const list = this.catalog.length ? this.catalog : [{ code: language, name: language }];
    if (language && !list.some((l) => l.code === language)) list.unshift({ code: language, name: language });
    options(this.ui.interpLanguage, list, language || undefined);
    this.render();
  }

  stop() {
    this.call = null;
    this.reset();
    this.render();
  }

  async invite() {
    const language = this.ui.interpLanguage.value;
    if (!this.call || !language || this.busy) return;
    this.busy = true;
    this.message = '';
    this.render();
    try {
      await this.client.request('invite_interpreter', { call: this.call, language });
    } catch (err) {
      this.message = err.code === 'no_interpreter'
        ? `No interpreter available for ${this.languageName(language)}.`
        : `Could not invite an interpreter: ${err.message}`;
    } finally {
      this.busy = false;
      this.render();
    }
  }

  async remove() {
    if (!this.call || this.busy) return;
    this.busy = true;
    this.render();
    try {
      await this.client.request('remove_interpreter', { call: this.call });
      this.message = '';
    } catch (err) {
      this.message = `Could not remove the interpreter: ${err.message}`;
    } finally {
      this.busy = false;
      this.render();
    }
  }

  async setMode(mode) {
    if (!this.call || mode === this.mode) return;
    try {
      await this.client.request('set_mode', { call: this.call, mode });
    } catch (err) {
      this.message = `The mode was not changed: ${err.message}`;
      this.render();
    }
  }

  // participants of this call: who is on it, the invite, the mode.
  update(msg) {
    const ip = (msg.participants || []).find((p) => p.role === 'interpreter');
    this.joined = ip ? { name: ip.name, languages: ip.languages } : null;
    this.ringing = msg.invite?.state === 'ringing' ? msg.invite : null;
    this.mode = msg.mode || 'consecutive';
    if (this.joined || this.ringing) this.message = '';
    this.render();
  }

  inviteFailed(msg) {
    const lang = this.languageName(msg.language);
    this.ringing = null;
    this.message = msg.reason === 'declined'
      ? `The interpreter declined, and no other interpreter for ${lang} is available.`
      : `No interpreter for ${lang} answered.`;
    this.render();
  }

  render() {
    const { ui } = this;
    const on = Boolean(this.joined);
    ui.interpInvite.hidden = on || Boolean(this.ringing);
    ui.invite.disabled = this.busy || !this.call;
    ui.removeInterp.hidden = !on && !this.ringing;
    ui.removeInterp.disabled = this.busy;
    ui.interpMode.hidden = !on;
    for (const r of this.radios()) r.checked = r.value === this.mode;
    let text = this.message;
    if (on) {
      text = `Interpreter ${this.joined.name} is on the call (${this.pairText(this.joined.languages)}). ` +
        (this.mode === 'simultaneous' ? 'Simultaneous: you hear the interpreter, the customer quieter underneath.'
          : 'Consecutive: everyone hears everyone.');
    } else if (this.ringing) {
      text = `Ringing ${this.ringing.interpreter}…`;
    }
    setText(ui.interpState, text);
    this.stage.setSecond(on, on ? `Interpreter ${this.joined.name} · ${this.pairText(this.joined.languages)}` : '');
  }
}
