// callui.mjs: the video area and the in-call buttons, shared by the customer widget and the
// agent console. One pair of <video> elements per page: the self view is the preview before
// a call (large) and the small picture during it; the peer's video is large in a call.

import { h, setText } from './dom.mjs';

export class VideoStage {
  // peerLabel: accessible name of the peer's video ("Agent video", "Customer video").
  constructor(peerLabel) {
    this.remote = h('video', { class: 'video-remote', 'aria-label': peerLabel, autoplay: true, playsinline: true });
    this.self = h('video', { class: 'video-self', 'aria-label': 'Your video', autoplay: true, playsinline: true });
    this.self.muted = true; // the property, not only the attribute: never hear yourself
    this.note = h('p', { class: 'video-note' });
    this.el = h('div', { class: 'videos', hidden: true }, this.remote, this.self, this.note);
  }

  // 'off' (nothing shown), 'preview' (self only, large), 'call' (peer large, self small).
  setMode(mode) {
    this.el.hidden = mode === 'off';
    this.el.classList.toggle('preview', mode === 'preview');
    this.el.classList.toggle('in-call', mode === 'call');
    this.remote.hidden = mode !== 'call';
  }

  // A line over the peer's picture ("Their connection dropped…"), '' for none.
  setNote(text) {
    setText(this.note, text);
    this.note.hidden = !text;
  }
}

// "Mute"/"Unmute" and "Turn camera off"/"Turn camera on" for a LocalMedia; the name says what
// pressing does, so it is read out right and needs no aria-pressed.
export class CallControls {
  constructor(local, hangup) {
    this.local = local;
    this.mute = h('button', { type: 'button', class: 'secondary', onclick: () => this.toggleMute() });
    this.camera = h('button', { type: 'button', class: 'secondary', onclick: () => this.toggleCamera() });
    this.hangup = h('button', { type: 'button', class: 'danger', text: 'Hang up', onclick: hangup });
    this.el = h('div', { class: 'row call-controls', hidden: true }, this.mute, this.camera, this.hangup);
    this.render();
  }

  toggleMute() {
    this.local.setMuted(!this.local.muted);
    this.render();
  }

  toggleCamera() {
    this.local.setCameraOff(!this.local.cameraOff);
    this.render();
  }

  render() {
    setText(this.mute, this.local.muted ? 'Unmute' : 'Mute');
    setText(this.camera, this.local.cameraOff ? 'Turn camera on' : 'Turn camera off');
  }

  show(visible) {
    this.el.hidden = !visible;
    this.hangup.disabled = !visible;
    this.render();
  }
}
