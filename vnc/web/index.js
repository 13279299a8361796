/* SPDX-License-Identifier: GPL-2.0-or-later */
// fbhost's index page: lists /api/framebuffers and refreshes the list and
// the thumbnails (/api/thumbnail?id=N) every REFRESH_MS.
const REFRESH_MS = 2000;

const list = document.getElementById('list');
const summary = document.getElementById('summary');
const cards = new Map(); // id -> card element

function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls)
        e.className = cls;
    if (text !== undefined)
        e.textContent = text;
    return e;
}

function viewerLink(fb) {
    return `viewer.html?port=${fb.vnc_port}&autoconnect=1`;
}

function makeCard(fb) {
    const card = el(fb.vnc_port > 0 ? 'a' : 'div', 'fb');
    card.dataset.id = fb.id;
    const thumb = el('div', 'thumb');
    card.append(thumb, el('div', 'meta'));
    card.querySelector('.meta').append(el('span', 'name'), el('span', 'mode'), el('span', 'clients'));
    return card;
}

function updateCard(card, fb, thumbnails, stamp) {
    card.querySelector('.name').textContent = fb.name;
    card.querySelector('.mode').textContent = `${fb.width}x${fb.height} ${fb.format}`;
    card.querySelector('.clients').textContent =
        fb.clients === 1 ? '1 client' : `${fb.clients} clients`;
    card.dataset.mode = `${fb.width}x${fb.height}`;
    if (fb.vnc_port > 0)
        card.href = viewerLink(fb);
    const thumb = card.querySelector('.thumb');
    if (fb.password || !thumbnails) {
        thumb.textContent = fb.password ? 'password protected' : 'no preview';
        return;
    }
    let img = thumb.querySelector('img');
    if (!img) {
        thumb.textContent = '';
        img = el('img');
        img.alt = `${fb.name} preview`;
        thumb.append(img);
    }
    // Load off-screen, then swap: no flicker while the next one loads.
    const next = new Image();
    next.onload = () => {
        img.src = next.src;
        card.dataset.thumbnail = String(stamp);
    };
    next.src = `api/thumbnail?id=${fb.id}&t=${stamp}`;
}

async function refresh() {
    try {
        const res = await fetch('api/framebuffers', { cache: 'no-store' });
        if (!res.ok)
            throw new Error(`status ${res.status}`);
        const data = await res.json();
        const stamp = Date.now();
        const seen = new Set();
        for (const fb of data.framebuffers) {
            let card = cards.get(fb.id);
            if (!card) {
                card = makeCard(fb);
                cards.set(fb.id, card);
                list.append(card);
            }
            updateCard(card, fb, data.thumbnails, stamp);
            seen.add(fb.id);
        }
        for (const [id, card] of cards)
            if (!seen.has(id)) {
                card.remove();
                cards.delete(id);
            }
        const n = data.framebuffers.length;
        summary.textContent = `${n} framebuffer${n === 1 ? '' : 's'}`;
        document.body.dataset.loaded = String(stamp);
    } catch (e) {
        summary.textContent = 'cannot reach the server: ' + e.message;
    }
}

refresh();
setInterval(refresh, REFRESH_MS);
