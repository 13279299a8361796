/* SPDX-License-Identifier: GPL-2.0-or-later */
// The status overlay's numbers for one connection: frames per second
// (FramebufferUpdates painted), the latency of the last update (from its
// first byte arriving to it being painted) and kB/s received. Bytes are
// counted on the WebSocket the viewer hands to noVNC; updates are seen at
// noVNC's Display.flip(), which RFB calls once per complete update (noVNC
// is pinned in package.json, so this one internal hook is stable).
const WINDOW_MS = 1000;

export class ConnectionStats {
    constructor(ws) {
        this.bytes = 0;
        this.frames = 0;
        this.latencyMs = null;
        this._firstByte = null;
        this._last = { t: performance.now(), bytes: 0, frames: 0 };
        this.rate = { fps: 0, kBps: 0 };
        ws.addEventListener('message', (e) => {
            if (this._firstByte === null)
                this._firstByte = performance.now();
            this.bytes += e.data.byteLength || e.data.length || 0;
        });
    }

    // Hooks the display of rfb (call right after new RFB()).
    watch(rfb) {
        const display = rfb._display;
        const flip = display.flip.bind(display);

        display.flip = (...args) => {
            const r = flip(...args);
            const now = performance.now();
            this.frames++;
            if (this._firstByte !== null)
                this.latencyMs = now - this._firstByte;
            this._firstByte = null;
            return r;
        };
    }

    // Recomputes the rates if a window has passed; returns them.
    sample() {
        const now = performance.now();
        const dt = now - this._last.t;

        if (dt >= WINDOW_MS) {
            this.rate = {
                fps: (this.frames - this._last.frames) * 1000 / dt,
                kBps: (this.bytes - this._last.bytes) / dt, // bytes/ms = kB/s
            };
            this._last = { t: now, bytes: this.bytes, frames: this.frames };
        }
        return this.rate;
    }
}
