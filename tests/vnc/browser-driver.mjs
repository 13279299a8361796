// SPDX-License-Identifier: GPL-2.0-or-later
// tests/vnc/browser-driver.mjs - drives noVNC in headless Chromium for
// test-vnc-browser. Reads one command per line on stdin, answers "ok" or
// "fail <reason>" on stdout:
//   open URL | check_mime PATH TYPE | wait_size W H | wait_pixel X Y RRGGBB
//   | click X Y | quit
// Environment: FBHOST_WEB_DIR (vnc/web, where playwright-core is
// installed), CHROMIUM (the browser binary).
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

async function poll(what, fn) {
    const end = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < end) {
        last = await fn();
        if (last === true)
            return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${what}: ${JSON.stringify(last)}`);
}

const commands = {
    async open(url) {
        pageUrl = url;
        context = await chromium.launchPersistentContext(profile, {
            executablePath: process.env.CHROMIUM,
            headless: true,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync'],
        });
        page = context.pages()[0] || await context.newPage();
        page.on('pageerror', (e) => process.stderr.write('page error: ' + e + '\n'));
        await page.goto(url);
    },
    async check_mime(path, type) {
        const res = await fetch(new URL(path, pageUrl));
        const got = res.headers.get('content-type') || '';
        if (res.status !== 200 || !got.startsWith(type))
            throw new Error(`${path}: status ${res.status}, type ${got}`);
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
        const box = await page.locator('#screen canvas').boundingBox();
        const sx = await page.evaluate(() => {
            const c = document.querySelector('#screen canvas');
            return c.getBoundingClientRect().width / c.width;
        });
        await page.mouse.click(box.x + (Number(x) + 0.5) * sx, box.y + (Number(y) + 0.5) * sx);
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
        const [cmd, ...args] = line.trim().split(/\s+/);
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
