// SPDX-License-Identifier: GPL-2.0-or-later
// fbhost's browser viewer on noVNC's RFB class. The page's query string
// says where the VNC server is; see viewer.html.
import RFB from './novnc/core/rfb.js';

const params = new URLSearchParams(window.location.search);
const statusEl = document.getElementById('status');
const button = document.getElementById('connect');
const screen = document.getElementById('screen');
let rfb = null;

function status(text) {
    statusEl.textContent = text;
}

function wsUrl() {
    let host = params.get('host') || window.location.hostname;
    const pagePort = parseInt(window.location.port || '80', 10);
    const port = params.get('port') || String(pagePort + 100);
    if (host.includes(':') && !host.startsWith('['))
        host = '[' + host + ']';
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${host}:${port}/`;
}

function connect() {
    if (rfb)
        return;
    const url = wsUrl();
    status('connecting to ' + url);
    // LibVNCServer answers a WebSocket without a subprotocol in base64
    // text frames; noVNC needs binary ones.
    rfb = new RFB(screen, url, { shared: true, wsProtocols: ['binary'] });
    rfb.viewOnly = params.get('view_only') === '1';
    rfb.scaleViewport = params.get('scale') === '1';
    rfb.resizeSession = params.get('resize') === '1';
    rfb.showDotCursor = true;
    rfb.addEventListener('connect', () => status('connected'));
    rfb.addEventListener('disconnect', (e) => {
        status(e.detail.clean ? 'disconnected' : 'connection lost');
        rfb = null;
        button.disabled = false;
    });
    rfb.addEventListener('credentialsrequired', () => {
        const password = window.prompt('VNC password');
        rfb.sendCredentials({ password: password || '' });
    });
    rfb.addEventListener('securityfailure', (e) =>
        status('authentication failed: ' + (e.detail.reason || e.detail.status)));
    rfb.addEventListener('desktopname', (e) => {
        document.title = e.detail.name + ' - fbhost viewer';
    });
    button.disabled = true;
    // For tests and debugging.
    window.fbhostRfb = rfb;
}

button.addEventListener('click', connect);
if (params.get('autoconnect') === '1')
    connect();
else
    status('ready');
