// Attention: a short synthesized beep and desktop notifications.

import { store } from './dom.js';

const SOUND_KEY = 'holler.sound';

/** @type {AudioContext | null} */
let audio = null;
let lastBeep = 0;

/** Browsers only let audio start after a gesture: prepare on the first one. */
function unlock() {
  try {
    if (!audio) {
      const Ctx = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
      if (Ctx) audio = new Ctx();
    }
    if (audio && audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}
for (const ev of ['pointerdown', 'keydown']) window.addEventListener(ev, unlock, { capture: true, passive: true });

export function soundOn() {
  return store.get(SOUND_KEY, /** @type {boolean} */ (true)) !== false;
}

/** @param {boolean} on */
export function setSound(on) {
  store.set(SOUND_KEY, on);
  if (on) {
    unlock();
    beep(true);
  }
}

/**
 * Two short soft tones, at most one every 1.5 s.
 * @param {boolean} [force] play even when muted (to preview the sound)
 */
export function beep(force = false) {
  if (!force && !soundOn()) return;
  const now = Date.now();
  if (now - lastBeep < 1500) return;
  lastBeep = now;
  if (!audio || audio.state !== 'running') return;
  const t0 = audio.currentTime;
  for (const [offset, freq] of [[0, 880], [0.13, 1175]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t0 + offset);
    gain.gain.exponentialRampToValueAtTime(0.15, t0 + offset + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + offset + 0.12);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0 + offset);
    osc.stop(t0 + offset + 0.14);
  }
}

/** @returns {'unsupported' | NotificationPermission} */
export function notificationPermission() {
  return 'Notification' in window ? Notification.permission : 'unsupported';
}

/** @returns {Promise<string>} */
export async function requestNotifications() {
  if (!('Notification' in window)) return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/**
 * Shows a desktop notification when permitted. One per conversation at a
 * time (the tag replaces the previous one).
 * @param {string} title
 * @param {string} body
 * @param {string} tag
 * @param {() => void} onClick
 */
export function desktopNotify(title, body, tag, onClick) {
  if (notificationPermission() !== 'granted') return;
  try {
    const n = new Notification(title, { body: body.slice(0, 180), tag: 'holler-' + tag, icon: '/static/favicon.svg' });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    // some mobile browsers only allow notifications from a service worker
  }
}
