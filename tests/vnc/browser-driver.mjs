/* SPDX-License-Identifier: GPL-2.0-or-later */
// tests/vnc/browser-driver.mjs - drives fbhost's viewer and index page in
// headless Chromium for the browser tests. Reads one command per line on
// stdin, answers "ok" or "fail <reason>" on stdout. TEXT runs to the end of
// the line; SEL is a CSS selector without spaces; X Y are framebuffer
// pixels unless said otherwise.
//   open URL | goto URL | viewport W H | check_mime PATH TYPE
//   wait_size W H | wait_pixel X Y RRGGBB        the canvas's own pixels
//   wait_css_size W H                            the canvas as displayed
//   wait_shown_pixel X Y RRGGBB                  the page as rendered
//   click X Y | mouse_move CSSX CSSY | press KEY
//   click_sel SEL | select SEL VALUE | check SEL on|off | fill SEL TEXT
//   wait_state STATE | wait_text SEL TEXT | wait_value SEL TEXT
//   wait_class SEL CLASS on|off | wait_attr SEL ATTR TEXT | wait_count SEL N
//   wait_img_size SEL W H                        a loaded image's size
//   download SEL PATH                            click SEL, save the download
//   page_shot PATH                               a PNG of the page
//   | quit
// Every wait ends after WAIT_MS. Environment: FBHOST_WEB_DIR (vnc/web,
// where playwright-core is installed), CHROMIUM (the browser binary).
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

const WAIT_MS = 30000;
const require = createRequire(join(process.env.FBHOST_WEB_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const profile = mkdtempSync(join(tmpdir(), 'fbhost-chromium-'));
let context = null;
let page = null;
let pageUrl = null;

function answer(text) {
    process.stdout.write(text + '\n');
}

// Polls fn until it returns true. A check that throws (a click that opened
// another page: its document has no body yet, or the old context is gone)
// counts as not yet; the last error is reported if the wait runs out.
async function poll(what, fn) {
    const end = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < end) {
        try {
            last = await fn();
        } catch (e) {
            last = String(e.message || e);
        }
        if (last === true)
            return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${what}: ${JSON.stringify(last)}`);
}

// The canvas's displayed rectangle and its size in framebuffer pixels.
async function canvasBox() {
    return page.evaluate(() => {
        const c = document.querySelector('#screen canvas');
        if (!c)
            return null;
        const r = c.getBoundingClientRect();
        return { x: r.left, y: r.top, w: r.width, h: r.height, cw: c.width, ch: c.height };
    });
}

// The colour at CSS pixel (x, y) of the page as Chromium rendered it: a
// screenshot of that pixel, decoded by the browser itself.
async function shownPixel(x, y) {
    const png = await page.screenshot({ clip: { x, y, width: 1, height: 1 } });
    return page.evaluate(async (b64) => {
        const img = new Image();
        img.src = 'data:image/png;base64,' + b64;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = c.height = 1;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, 1, 1).data;
        return ((d[0] << 16) | (d[1] << 8) | d[2]).toString(16).padStart(6, '0');
    }, png.toString('base64'));
}

const commands = {
    async open(url) {
        pageUrl = url;
        context = await chromium.launchPersistentContext(profile, {
            executablePath: process.env.CHROMIUM,
            headless: true,
            ignoreHTTPSErrors: true,
            acceptDownloads: true,
            viewport: { width: 1024, height: 700 },
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync',
                '--ignore-certificate-errors'],
        });
        page = context.pages()[0] || await context.newPage();
        page.on('pageerror', (e) => process.stderr.write('page error: ' + e + '\n'));
        await page.goto(url);
    },
    async goto(url) {
        pageUrl = url;
        await page.goto(url);
    },
    async viewport(w, h) {
        await page.setViewportSize({ width: Number(w), height: Number(h) });
    },
    async check_mime(path, type) {
        const res = await page.request.get(new URL(path, pageUrl).href);
        const got = res.headers()['content-type'] || '';
        if (res.status() !== 200 || !got.startsWith(type))
            throw new Error(`${path}: status ${res.status()}, type ${got}`);
    },
    async wait_css_size(w, h) {
        await poll('canvas display size', async () => {
            const b = await canvasBox();
            if (!b)
                return 'no canvas';
            return (Math.round(b.w) === Number(w) && Math.round(b.h) === Number(h)) ||
                `${b.w}x${b.h} for ${b.cw}x${b.ch}`;
        });
    },
    async wait_shown_pixel(x, y, rgb) {
        await poll('shown pixel', async () => {
            const b = await canvasBox();
            if (!b)
                return 'no canvas';
            const px = b.x + (Number(x) + 0.5) * b.w / b.cw;
            const py = b.y + (Number(y) + 0.5) * b.h / b.ch;
            const got = await shownPixel(Math.floor(px), Math.floor(py));
            return got === rgb.toLowerCase() || `${got} at css ${px},${py}`;
        });
    },
    async mouse_move(x, y) {
        await page.mouse.move(Number(x), Number(y));
    },
    async press(key) {
        await page.keyboard.press(key);
    },
    async click_sel(sel) {
        await page.locator(sel).click({ timeout: WAIT_MS });
    },
    async select(sel, value) {
        await page.locator(sel).selectOption(value, { timeout: WAIT_MS });
    },
    async check(sel, on) {
        await page.locator(sel).setChecked(on === 'on', { timeout: WAIT_MS });
    },
    async fill(sel, ...text) {
        await page.locator(sel).fill(text.join(' '), { timeout: WAIT_MS });
    },
    async wait_state(state) {
        await poll('state', () => page.evaluate((want) =>
            document.body.dataset.state === want ||
            `${document.body.dataset.state}: ${document.getElementById('status').textContent}`, state));
    },
    async wait_text(sel, ...text) {
        const want = text.join(' ');
        await poll('text of ' + sel, () => page.evaluate(([sel, want]) => {
            const e = document.querySelector(sel);
            return (e && e.textContent.includes(want)) || (e ? e.textContent : 'no ' + sel);
        }, [sel, want]));
    },
    async wait_value(sel, ...text) {
        const want = text.join(' ');
        await poll('value of ' + sel, () => page.evaluate(([sel, want]) => {
            const e = document.querySelector(sel);
            return (e && e.value === want) || (e ? e.value : 'no ' + sel);
        }, [sel, want]));
    },
    async wait_class(sel, cls, on) {
        await poll(`class ${cls} of ${sel}`, () => page.evaluate(([sel, cls, on]) => {
            const e = document.querySelector(sel);
            return (e && e.classList.contains(cls) === on) || (e ? e.className : 'no ' + sel);
        }, [sel, cls, on === 'on']));
    },
    async wait_attr(sel, attr, ...text) {
        const want = text.join(' ');
        await poll(`${attr} of ${sel}`, () => page.evaluate(([sel, attr, want]) => {
            const e = document.querySelector(sel);
            const v = e && e.getAttribute(attr);
            return v === want || String(v);
        }, [sel, attr, want]));
    },
    async wait_img_size(sel, w, h) {
        await poll('image size of ' + sel, () => page.evaluate(([sel, w, h]) => {
            const e = document.querySelector(sel);
            if (!e || !e.complete)
                return 'no loaded ' + sel;
            return (e.naturalWidth === w && e.naturalHeight === h) ||
                `${e.naturalWidth}x${e.naturalHeight}`;
        }, [sel, Number(w), Number(h)]));
    },
    async wait_count(sel, n) {
        await poll('count of ' + sel, () => page.evaluate(([sel, n]) => {
            const k = document.querySelectorAll(sel).length;
            return k === n || k;
        }, [sel, Number(n)]));
    },
    async download(sel, path) {
        const [dl] = await Promise.all([
            page.waitForEvent('download', { timeout: WAIT_MS }),
            page.locator(sel).click({ timeout: WAIT_MS }),
        ]);
        await dl.saveAs(path);
    },
    async page_shot(path) {
        await page.screenshot({ path });
    },
    async wait_size(w, h) {
        await poll('canvas size', () => page.evaluate(([w, h]) => {
            const c = document.querySelector('#screen canvas');
            if (!c)
                return 'no canvas';
            return (c.width === w && c.height === h) || `${c.width}x${c.height}`;
        }, [Number(w), Number(h)]));
    },
    async wait_pixel(x, y, rgb) {
        await poll('pixel', () => page.evaluate(([x, y, rgb]) => {
            const c = document.querySelector('#screen canvas');
            if (!c)
                return 'no canvas';
            const d = c.getContext('2d').getImageData(x, y, 1, 1).data;
            const got = ((d[0] << 16) | (d[1] << 8) | d[2]).toString(16).padStart(6, '0');
            return (got === rgb.toLowerCase() && d[3] === 255) || `${got} alpha ${d[3]}`;
        }, [Number(x), Number(y), rgb]));
    },
    async click(x, y) {
        const b = await canvasBox();
        await page.mouse.click(b.x + (Number(x) + 0.5) * b.w / b.cw,
            b.y + (Number(y) + 0.5) * b.h / b.ch);
    },
};

async function shutdown(code) {
    try {
        if (context)
            await context.close();
    } finally {
        rmSync(profile, { recursive: true, force: true });
        process.exit(code);
    }
}

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
    queue = queue.then(async () => {
        const [cmd, ...args] = line.trim().split(/ +/);
        if (cmd === 'quit') {
            answer('ok');
            await shutdown(0);
        }
        try {
            if (!commands[cmd])
                throw new Error('unknown command ' + cmd);
            await commands[cmd](...args);
            answer('ok');
        } catch (e) {
            answer('fail ' + String(e.message || e).replace(/\n/g, ' '));
        }
    });
});
rl.on('close', () => queue.then(() => shutdown(0)));
