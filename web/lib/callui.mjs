// callui.mjs: the video area and the in-call buttons, shared by the customer widget, the agent
// console and the interpreter page. The self view is the preview before a call (large) and the
// small picture during it; the peer's video is large in a call. A second remote tile (the
// interpreter, or on the interpreter's page the agent) appears beside it when that party is on
// the call; each remote tile can carry a caption (who it is).

import { h, setText } from './dom.mjs';

function tile(label) {
  const video = h('video', { class: 'video-remote', 'aria-label': label, autoplay: true, playsinline: true });
  const caption = h('figcaption', { class: 'video-caption' });
  return { video, caption, el: h('figure', { class: 'video-tile' }, video, caption) };
}

export class VideoStage {
  // peerLabel: accessible name of the peer's video ("Agent video", "Customer video");
  // secondLabel: that of the second remote tile ("Interpreter video").
  constructor(peerLabel, secondLabel = 'Interpreter video') {
    const main = tile(peerLabel);
    this.main = main;
    this.remote = main.video;
    const second = tile(secondLabel);
    this.secondTile = second;
    this.second = second.video;
    second.el.hidden = true;
    this.self = h('video', { class: 'video-self', 'aria-label': 'Your video', autoplay: true, playsinline: true });
    this.self.muted = true; // the property, not only the attribute: never hear yourself
    this.note = h('p', { class: 'video-note' });
    this.tiles = h('div', { class: 'video-tiles' }, main.el, second.el);
    this.el = h('div', { class: 'videos', hidden: true }, this.tiles, this.self, this.note);
  }

  // 'off' (nothing shown), 'preview' (self only, large), 'call' (peer large, self small).
  setMode(mode) {
    this.el.hidden = mode === 'off';
    this.el.classList.toggle('preview', mode === 'preview');
    this.el.classList.toggle('in-call', mode === 'call');
    this.tiles.hidden = mode !== 'call';
    this.remote.hidden = mode !== 'call';
    if (mode !== 'call') this.setSecond(false);
  }

  // The caption over the peer's picture ('' for none).
  setCaption(text) {
    setText(this.main.caption, text);
  }

  // Show or hide the second remote tile, with its caption.
  setSecond(visible, caption = '') {
    this.secondTile.el.hidden = !visible;
    this.el.classList.toggle('two', visible);
    setText(this.secondTile.caption, visible ? caption : '');
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
  // hangupText: the red button's name ("Hang up"; the interpreter's "Leave call").
  constructor(local, hangup, hangupText = 'Hang up') {
    this.local = local;
    this.mute = h('button', { type: 'button', class: 'secondary', onclick: () => this.toggleMute() });
    this.camera = h('button', { type: 'button', class: 'secondary', onclick: () => this.toggleCamera() });
    this.hangup = h('button', { type: 'button', class: 'danger', text: hangupText, onclick: hangup });
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
