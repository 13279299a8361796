/* SPDX-License-Identifier: GPL-2.0-or-later */
// Keys a browser cannot type (the OS or the browser takes them): named keys,
// combinations such as Ctrl+Alt+Del and Ctrl+Alt+F1..F12, and sticky
// modifiers that stay pressed until released. Names are X11 keysym names
// from noVNC's keysym table.
import KeyTable from './novnc/core/input/keysym.js';

// Modifiers held by the sticky buttons: keysym name -> true.
const held = new Set();

function sym(name) {
    const k = KeyTable['XK_' + name];
    if (k === undefined)
        throw new Error('no keysym ' + name);
    return k;
}

function press(rfb, name, down) {
    rfb.sendKey(sym(name), null, down);
}

export function sendNamedKey(rfb, name) {
    if (!rfb)
        return;
    press(rfb, name, true);
    press(rfb, name, false);
}

// Presses names in order and releases them in reverse; modifiers a sticky
// button already holds stay as they are.
export function sendCombo(rfb, names) {
    if (!rfb)
        return;
    const pressed = names.filter((n) => !held.has(n));
    for (const n of pressed)
        press(rfb, n, true);
    for (const n of pressed.slice().reverse())
        press(rfb, n, false);
}

function showSticky(name, on) {
    for (const b of document.querySelectorAll(`[data-sticky="${name}"]`))
        b.setAttribute('aria-pressed', String(on));
}

export function setSticky(rfb, name, on) {
    if (!rfb || on === held.has(name))
        return;
    press(rfb, name, on);
    if (on)
        held.add(name);
    else
        held.delete(name);
    showSticky(name, on);
}

// The connection is gone: the server released everything already.
export function releaseSticky() {
    for (const n of held)
        showSticky(n, false);
    held.clear();
}
