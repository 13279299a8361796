/* SPDX-License-Identifier: GPL-2.0-or-later */
// The viewer's settings: defaults, then what localStorage remembers, then
// the page's query string (which wins, as links carry it). Remembered:
// scale, view_only, stats. Never remembered: host, port, reconnect and the
// password (the password is never in a URL either); reconnect=0 holds for
// that page only.
//   host=H        VNC host (default: this page's host)
//   port=N        VNC (WebSocket) port (default: this page's port + 100)
//   autoconnect=1 connect on load
//   scale=off|fit|remote  (scale=1 means fit, resize=1 means remote)
//   view_only=1   send no input
//   stats=1       show the status overlay
//   reconnect=0   no automatic reconnect
const STORAGE_KEY = 'fbhost.viewer';
const REMEMBERED = ['scale', 'view_only', 'stats'];
const SCALES = ['off', 'fit', 'remote'];

const DEFAULTS = {
    host: '',
    port: '',
    autoconnect: false,
    scale: 'off',
    view_only: false,
    stats: false,
    reconnect: true,
};

function flag(v) {
    return v === '1' || v === 'true' || v === 'yes';
}

function loadStored() {
    try {
        const s = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || '{}');
        return typeof s === 'object' && s ? s : {};
    } catch {
        return {}; // storage off or garbage: defaults
    }
}

export function loadSettings(search) {
    const p = new URLSearchParams(search);
    const s = { ...DEFAULTS };
    const stored = loadStored();

    for (const k of REMEMBERED)
        if (k in stored && typeof stored[k] === typeof DEFAULTS[k])
            s[k] = stored[k];
    if (p.has('host'))
        s.host = p.get('host');
    if (p.has('port'))
        s.port = p.get('port');
    for (const k of ['autoconnect', 'view_only', 'stats', 'reconnect'])
        if (p.has(k))
            s[k] = flag(p.get(k));
    if (p.get('scale') === '1')
        s.scale = 'fit';
    else if (SCALES.includes(p.get('scale')))
        s.scale = p.get('scale');
    if (p.get('resize') === '1')
        s.scale = 'remote';
    if (!SCALES.includes(s.scale))
        s.scale = 'off';
    return s;
}

// Remembers the user's choices and mirrors them in the address bar, so a
// reload or a copied link keeps them.
export function saveSettings(s) {
    const keep = {};

    for (const k of REMEMBERED)
        keep[k] = s[k];
    try {
        window.localStorage.setItem(STORAGE_KEY, JSON.stringify(keep));
    } catch {
        // private mode or storage full: the URL still carries them
    }
    const url = new URL(window.location.href);
    url.searchParams.set('scale', s.scale);
    url.searchParams.delete('resize');
    url.searchParams.set('view_only', s.view_only ? '1' : '0');
    url.searchParams.set('stats', s.stats ? '1' : '0');
    window.history.replaceState(null, '', url);
}
