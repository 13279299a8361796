#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""run-displays.py - memory and idle CPU of N framebuffers with one idle viewer each.

For each N (default 1, 4, 16) it starts one fbhost with N framebuffers of
WxH x8r8g8b8 and the pattern guest (a static test card over every pixel,
drawn once: the displays are idle but their pages are resident), measures
its RSS with no viewer, connects one bench-idle-viewer (libvncclient, raw) to
each framebuffer, waits until every viewer has its first picture, then
measures RSS again and the process's CPU over S seconds. Results are printed
as ratios against baselines from the same run: RSS per framebuffer against
the framebuffer's pixel bytes, RSS with viewers against RSS without, and the
updates the viewers got while idle (must be 0).

    tests/bench/displays/run-displays.py -b build-bench [-n 1,4,16] [-s 10]
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("run_peers",
                                               os.path.join(HERE, "..", "peers", "run-peers.py"))
peers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(peers)

READY_TIMEOUT_S = 60.0
SETTLE_S = 1.0   # after the last viewer's first picture, before measuring


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for %d" % pid)


def threads_cpu(pid):
    """CPU seconds per thread name (comm), from /proc/PID/task/*/stat."""
    tck = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                head, rest = f.read().rsplit(")", 1)
        except FileNotFoundError:
            continue
        name = head.split("(", 1)[1]
        fields = rest.split()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / tck
    return out


# Attempts at finding n consecutive free ports that stay free.
PORT_ATTEMPTS = 5


def measure(args, n, out_dir):
    # n consecutive free ports (the server listens on port + i).
    while True:
        port = peers.free_port()
        if all(port + i not in peers.USED_PORTS and peers.port_is_free(port + i)
               for i in range(1, n)):
            break
    for i in range(1, n):
        peers.USED_PORTS.add(port + i)
    fbs = []
    for i in range(n):
        fbs += ["--fb", "d%d:%dx%d" % (i, args.width, args.height)]
    server = peers.PROCS.start([args.fbhost] + fbs + [
        "--guest", args.guest, "--vnc", "127.0.0.1:%d" % port, "--web", "none",
        "--control", "none", "--log-level", "warn"], os.path.join(out_dir, "fbhost-%d.out" % n))
    viewers = []
    try:
        peers.wait_for("fbhost listening",
                       lambda: all(peers.port_listening(port + i) for i in range(n)), [server])
        time.sleep(SETTLE_S)  # measurement window, not synchronisation
        rss_alone = rss_bytes(server.pid)
        for i in range(n):
            v = subprocess.Popen([args.viewer, "127.0.0.1", str(port + i)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
            peers.PROCS.procs.append(v)
            viewers.append(v)
        deadline = time.monotonic() + READY_TIMEOUT_S
        for v in viewers:
            line = ""
            while time.monotonic() < deadline and line != "ready\n":
                line = v.stdout.readline()
                if not line and v.poll() is not None:
                    raise RuntimeError("a viewer exited with %s" % v.returncode)
            if line != "ready\n":
                raise RuntimeError("a viewer got no first picture in %.0f s" % READY_TIMEOUT_S)
        time.sleep(SETTLE_S)  # measurement window
        rss_viewers = rss_bytes(server.pid)
        cpu0, t0 = threads_cpu(server.pid), time.monotonic()
        time.sleep(args.seconds)  # the measured idle period
        cpu1, t1 = threads_cpu(server.pid), time.monotonic()
        updates = 0
        for v in viewers:
            v.stdin.close()
            rest = v.stdout.read()
            v.wait(timeout=10)
            for line in rest.splitlines():
                if line.startswith("updates_after_ready "):
                    updates += int(line.split()[1])
        per_thread = {k: cpu1.get(k, 0) - cpu0.get(k, 0) for k in cpu1}
        return {
            "n": n, "rss_alone": rss_alone, "rss_viewers": rss_viewers,
            "cpu_s": sum(per_thread.values()) * args.seconds / (t1 - t0),
            "per_thread": per_thread, "idle_updates": updates,
        }
    finally:
        for v in viewers:
            peers.PROCS.stop(v)
        peers.PROCS.stop(server)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-b", "--build", default="build-bench", help="meson build directory")
    ap.add_argument("-n", "--counts", default="1,4,16", help="framebuffer counts")
    ap.add_argument("-g", "--guest", default="pattern",
                    help="guest of every framebuffer: pattern (default) draws a static test card "
                         "over every pixel, so guest RAM and the shadow are really resident; "
                         "none leaves them zero (untouched pages are not resident)")
    ap.add_argument("-s", "--seconds", type=float, default=10.0, help="idle CPU window")
    ap.add_argument("-W", "--width", type=int, default=1920)
    ap.add_argument("-H", "--height", type=int, default=1080)
    args = ap.parse_args()
    args.fbhost = os.path.join(args.build, "server", "app", "fbhost")
    args.viewer = os.path.join(args.build, "tests", "bench", "displays", "bench-idle-viewer")
    for exe in (args.fbhost, args.viewer):
        if not os.access(exe, os.X_OK):
            sys.exit("run-displays: %s not built (ninja -C %s)" % (exe, args.build))
    out_dir = tempfile.mkdtemp(prefix="fbhost-displays-")
    pixel_bytes = args.width * args.height * 4
    mb = 1024 * 1024
    print("## %dx%d x8r8g8b8 framebuffers (%.1f MB of pixels each), one idle raw "
          "viewer each, %g s idle\n" % (args.width, args.height, pixel_bytes / mb,
                                         args.seconds))
    print("| framebuffers | RSS alone MB | RSS with viewers MB | per framebuffer MB | "
          "per framebuffer / pixel bytes | viewers / alone | idle CPU s | idle updates |")
    print("|---|---|---|---|---|---|---|---|")
    threads = []
    try:
        for n in (int(c) for c in args.counts.split(",")):
            # Another program may take one of the n ports between the
            # check and fbhost's bind: then again, on other ports.
            for attempt in range(PORT_ATTEMPTS):
                try:
                    r = measure(args, n, out_dir)
                    break
                except RuntimeError as e:
                    log = os.path.join(out_dir, "fbhost-%d.out" % n)
                    if attempt + 1 == PORT_ATTEMPTS or "Address already in use" not in open(log).read():
                        raise
                    print("(ports taken meanwhile: %s; again)" % e, file=sys.stderr)
            per_fb = r["rss_viewers"] / n
            print("| %d | %.1f | %.1f | %.1f | %.2fx | %.2fx | %.3f | %d |" % (
                n, r["rss_alone"] / mb, r["rss_viewers"] / mb, per_fb / mb,
                per_fb / pixel_bytes, r["rss_viewers"] / r["rss_alone"], r["cpu_s"],
                r["idle_updates"]))
            busiest = sorted(r["per_thread"].items(), key=lambda kv: -kv[1])[:4]
            threads.append("- %d framebuffers, busiest threads: %s" % (n, ", ".join(
                "%s %.3f s" % kv for kv in busiest)))
            sys.stdout.flush()
    finally:
        peers.PROCS.stop_all()
    print("\nIdle CPU per thread (threads of one name added up):")
    print("\n".join(threads))


if __name__ == "__main__":
    main()
