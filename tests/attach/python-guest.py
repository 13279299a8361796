# SPDX-License-Identifier: GPL-2.0-or-later
"""The Python guest of test-attach-python: attaches with the tracking named
in argv[2], draws a test pattern, then answers each key press by filling
a square with a colour made from the keysym; exits on "q"."""

import sys

import fbhost_guest

TRACKING = {"damage": fbhost_guest.DAMAGE, "uffd": fbhost_guest.UFFD,
            "compare": fbhost_guest.COMPARE}


def pattern(g):
    for row in range(4):
        for col in range(4):
            g.fill(col * 40, row * 30, 40, 30, (row * 64) << 16 | (col * 64) << 8 | 0x80)


def main():
    g = fbhost_guest.attach(sys.argv[1], "main")
    mode = g.set_tracking(TRACKING[sys.argv[2]], frames=True)
    print("tracking", fbhost_guest.TRACKING_NAMES[mode], flush=True)
    pattern(g)
    g.frame_done()
    while True:
        ev = g.next_event(timeout=30.0)
        if ev is None or ev.type in ("closed", "error"):
            print("unexpected", ev, flush=True)
            return 1
        if ev.type == "key" and ev.down:
            if ev.keysym == ord("q"):
                break
            g.fill(60, 45, 40, 30, (ev.keysym * 0x010203) & 0xffffff)
            g.frame_done()
    g.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
