/* SPDX-License-Identifier: GPL-2.0-or-later */
// fbhost's browser viewer on noVNC's RFB class: a toolbar that hides
// itself, a password form, clear failure messages, automatic reconnect with
// back-off, scaling (off, fit, remote resize), fullscreen, a clipboard
// panel, keys a browser cannot type, a PNG screenshot of the framebuffer,
// view-only mode and a status overlay. Settings: viewer-settings.js.
import RFB from './novnc/core/rfb.js';
import { loadSettings, saveSettings } from './viewer-settings.js';
import { ConnectionStats } from './viewer-stats.js';
import { sendCombo, sendNamedKey, setSticky, releaseSticky } from './viewer-keys.js';

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30000;
const TOOLBAR_HIDE_MS = 2500;
const TOOLBAR_REVEAL_PX = 24; // pointer this close to the top shows it
const STATS_PERIOD_MS = 1000;

const $ = (id) => document.getElementById(id);
const settings = loadSettings(window.location.search);
const screen = $('screen');
const toolbar = $('toolbar');

// The one connection. Fields change only on the page's event loop.
const conn = {
    rfb: null,
    stats: null,
    password: null, // kept in memory for reconnects, never stored
    connected: false, // the current attempt reached 'connect'
    authFailed: false, // the current attempt ended in securityfailure
    wanted: false, // the user wants a connection (not disconnected by hand)
    retryMs: RECONNECT_FIRST_MS,
    retryTimer: null,
    name: 'fbhost',
};

// ---- messages and state ----------------------------------------------

// state is one of: idle, connecting, connected, password, retrying, failed
function setState(state, text) {
    document.body.dataset.state = state;
    $('status').textContent = text;
    $('connect').textContent = conn.wanted ? 'Disconnect' : 'Connect';
    const overlay = state !== 'connected';
    $('message').hidden = !overlay;
    $('message-text').textContent = text;
    $('password-form').hidden = state !== 'password';
    $('retry').hidden = state !== 'retrying' && state !== 'failed';
    if (state === 'password')
        $('password').focus();
    toolbarActivity();
}

function wsUrl() {
    let host = settings.host || window.location.hostname;
    const pagePort = parseInt(window.location.port ||
        (window.location.protocol === 'https:' ? '443' : '80'), 10);
    const port = settings.port || String(pagePort + 100);
    if (host.includes(':') && !host.startsWith('['))
        host = '[' + host + ']';
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${host}:${port}/`;
}

// ---- connection ----------------------------------------------------------

function connect() {
    clearTimeout(conn.retryTimer);
    conn.retryTimer = null;
    if (conn.rfb)
        return;
    conn.wanted = true;
    conn.connected = false;
    conn.authFailed = false;
    const url = wsUrl();
    setState('connecting', 'Connecting to ' + url + ' ...');
    // LibVNCServer answers a WebSocket without a subprotocol in base64
    // text frames; noVNC needs binary ones.
    const ws = new WebSocket(url, ['binary']);
    ws.binaryType = 'arraybuffer';
    conn.stats = new ConnectionStats(ws);
    const options = { shared: true };
    if (conn.password !== null)
        options.credentials = { password: conn.password };
    const rfb = new RFB(screen, ws, options);
    conn.stats.watch(rfb);
    conn.rfb = rfb;
    window.fbhostRfb = rfb; // for tests and debugging
    rfb.showDotCursor = true;
    applySettings();
    rfb.addEventListener('connect', onConnect);
    rfb.addEventListener('disconnect', onDisconnect);
    rfb.addEventListener('credentialsrequired', onCredentialsRequired);
    rfb.addEventListener('securityfailure', onSecurityFailure);
    rfb.addEventListener('clipboard', (e) => {
        $('clip-in').value = e.detail.text;
        document.body.dataset.clipboardIn = String(Number(document.body.dataset.clipboardIn || 0) + 1);
    });
    rfb.addEventListener('desktopname', (e) => {
        conn.name = e.detail.name;
        document.title = e.detail.name + ' - fbhost viewer';
    });
}

function onConnect() {
    conn.connected = true;
    conn.retryMs = RECONNECT_FIRST_MS;
    setState('connected', 'Connected to ' + conn.name);
    conn.rfb.focus();
}

function onCredentialsRequired() {
    if (conn.password !== null && !conn.authFailed) {
        conn.rfb.sendCredentials({ password: conn.password });
        return;
    }
    setState('password', 'This framebuffer needs a password.');
}

function onSecurityFailure(e) {
    conn.authFailed = true;
    conn.password = null;
    const reason = e.detail.reason || `status ${e.detail.status}`;
    const wrong = /password|auth/i.test(reason) || e.detail.status === 1;
    setState('password', wrong ? 'Wrong password (' + reason + '). Try again.'
        : 'Authentication failed: ' + reason);
}

function onDisconnect() {
    const wasConnected = conn.connected;
    conn.rfb = null;
    conn.stats = null;
    releaseSticky();
    if (conn.authFailed) {
        // The form is up; the next attempt starts when it is sent (or
        // now, if it was sent before this connection had closed).
        if (conn.password !== null)
            connect();
        else
            setState('password', $('message-text').textContent);
        return;
    }
    if (!conn.wanted) {
        setState('idle', 'Disconnected.');
        return;
    }
    const why = wasConnected ? 'Connection lost' :
        'Connection refused or the server is unreachable';
    // Counted, as the message itself changes with the next attempt.
    const kind = wasConnected ? 'lost' : 'refused';
    document.body.dataset[kind] = String(Number(document.body.dataset[kind] || 0) + 1);
    document.body.dataset[kind + 'Message'] = why;
    if (!settings.reconnect) {
        conn.wanted = false;
        setState('failed', why + '.');
        return;
    }
    const delay = conn.retryMs;
    conn.retryMs = Math.min(conn.retryMs * 2, RECONNECT_MAX_MS);
    conn.retryTimer = setTimeout(connect, delay);
    setState('retrying', `${why}. Reconnecting in ${(delay / 1000).toFixed(1)} s ...`);
}

function disconnect() {
    conn.wanted = false;
    clearTimeout(conn.retryTimer);
    conn.retryTimer = null;
    if (conn.rfb)
        conn.rfb.disconnect();
    else
        setState('idle', 'Disconnected.');
}

// ---- settings ------------------------------------------------------------

function applySettings() {
    const rfb = conn.rfb;
    $('scale').value = settings.scale;
    $('view-only').checked = settings.view_only;
    $('stats-toggle').checked = settings.stats;
    $('stats').hidden = !settings.stats;
    document.body.dataset.scale = settings.scale;
    if (!rfb)
        return;
    rfb.viewOnly = settings.view_only;
    rfb.scaleViewport = settings.scale === 'fit';
    rfb.resizeSession = settings.scale === 'remote';
}

function changeSetting(key, value) {
    settings[key] = value;
    saveSettings(settings);
    applySettings();
}

// ---- toolbar -------------------------------------------------------------

let hideTimer = null;

function panelsOpen() {
    return !$('keys').hidden || !$('clipboard').hidden;
}

// Shows the toolbar and hides it again after a while of no use (never
// while a panel or a message is up, or while the pointer is on it).
function toolbarActivity() {
    toolbar.classList.remove('hidden');
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
        if (!panelsOpen() && document.body.dataset.state === 'connected' &&
            !toolbar.matches(':hover'))
            toolbar.classList.add('hidden');
        else
            toolbarActivity();
    }, TOOLBAR_HIDE_MS);
}

function togglePanel(id, button) {
    const panel = $(id);
    panel.hidden = !panel.hidden;
    // Below the toolbar, however many lines it wrapped into.
    panel.style.top = `${toolbar.getBoundingClientRect().bottom + 6}px`;
    $(button).setAttribute('aria-expanded', String(!panel.hidden));
    toolbarActivity();
}

document.addEventListener('pointermove', (e) => {
    if (e.clientY <= TOOLBAR_REVEAL_PX || toolbar.contains(e.target))
        toolbarActivity();
});
toolbar.addEventListener('focusin', toolbarActivity);

// ---- controls ------------------------------------------------------------

$('connect').addEventListener('click', () => (conn.wanted ? disconnect() : connect()));
$('retry').addEventListener('click', connect);
$('password-form').addEventListener('submit', (e) => {
    e.preventDefault();
    conn.password = $('password').value;
    $('password').value = '';
    if (conn.rfb && !conn.authFailed) {
        conn.rfb.sendCredentials({ password: conn.password });
        setState('connecting', 'Checking the password ...');
    } else {
        connect();
    }
});
$('scale').addEventListener('change', (e) => changeSetting('scale', e.target.value));
$('view-only').addEventListener('change', (e) => changeSetting('view_only', e.target.checked));
$('stats-toggle').addEventListener('change', (e) => changeSetting('stats', e.target.checked));
$('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement)
        document.exitFullscreen();
    else
        document.documentElement.requestFullscreen().catch((err) =>
            ($('status').textContent = 'Fullscreen refused: ' + err.message));
});
document.addEventListener('fullscreenchange', () => {
    const on = !!document.fullscreenElement;
    $('fullscreen').textContent = on ? 'Exit fullscreen' : 'Fullscreen';
    document.body.dataset.fullscreen = on ? '1' : '0';
});
$('keys-toggle').addEventListener('click', () => togglePanel('keys', 'keys-toggle'));
$('clipboard-toggle').addEventListener('click', () => togglePanel('clipboard', 'clipboard-toggle'));
$('clip-send').addEventListener('click', () => {
    if (conn.rfb)
        conn.rfb.clipboardPasteFrom($('clip-out').value);
});
$('screenshot').addEventListener('click', () => {
    if (!conn.rfb || !conn.connected)
        return;
    conn.rfb.toBlob((blob) => {
        const a = document.createElement('a');
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        a.href = URL.createObjectURL(blob);
        a.download = `${conn.name}-${stamp}.png`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 0);
    }, 'image/png');
});

// After a key button, typing goes to the guest again.
function refocus() {
    if (conn.rfb)
        conn.rfb.focus();
}

for (let n = 1; n <= 12; n++)
    $('fkey').add(new Option('F' + n, 'F' + n));
$('send-fkey').addEventListener('click', () => {
    sendCombo(conn.rfb, ['Control_L', 'Alt_L', $('fkey').value]);
    refocus();
});
for (const b of document.querySelectorAll('#keys [data-combo="ctrl-alt-del"]'))
    b.addEventListener('click', () => {
        sendCombo(conn.rfb, ['Control_L', 'Alt_L', 'Delete']);
        refocus();
    });
for (const b of document.querySelectorAll('#keys [data-key]'))
    b.addEventListener('click', () => {
        sendNamedKey(conn.rfb, b.dataset.key);
        refocus();
    });
for (const b of document.querySelectorAll('#keys [data-sticky]'))
    b.addEventListener('click', () => {
        setSticky(conn.rfb, b.dataset.sticky, b.getAttribute('aria-pressed') !== 'true');
        refocus();
    });

// ---- status overlay --------------------------------------------------------

setInterval(() => {
    if (!settings.stats || !conn.stats || !conn.connected)
        return;
    const r = conn.stats.sample();
    const c = screen.querySelector('canvas');
    const mode = c ? `${c.width}x${c.height}` : '-';
    const lat = conn.stats.latencyMs === null ? '-' : conn.stats.latencyMs.toFixed(0) + ' ms';
    $('stats').textContent = `${mode}  ${r.fps.toFixed(0)} fps  ${lat}  ${r.kBps.toFixed(1)} kB/s`;
}, STATS_PERIOD_MS);

applySettings();
if (settings.autoconnect)
    connect();
else
    setState('idle', 'Ready. Press Connect.');
