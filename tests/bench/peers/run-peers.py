#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""run-peers.py - fbhost side by side with TigerVNC Xvnc, neatvnc and x11vnc on Xvfb.

Every server is driven through every scenario of shared/notes/bench-scenarios.md
with the same pixels (fbhost's bench guest, bench-xdraw for the X peers,
bench-nvnc-draw for neatvnc) and measured by the same client (bench-probe,
libvncclient): bytes at the socket, server CPU (utime+stime of every server
process from /proc/PID/stat; for fbhost also per thread from
/proc/PID/task/*/stat, so that the guest's own thread can be left out),
latency via the frame-number strip. Each run is repeated; the Markdown tables
show medians. --fbhost-baseline adds another fbhost binary (the build before
the VNC network edge) as server fbhost-preedge, for same-run ratios.

Loopback only. Ports and X displays are probed and never reused; every
process started is stopped by its PID on exit, even on failure or Ctrl+C.

    tests/bench/peers/run-peers.py [-b build-bench] [-r 3] [--seconds 10] ...
"""
import argparse
import atexit
import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

GEOMETRY = (1920, 1080)
SETTLE_MS = 2000          # frame 0 .. frame 1; the probe connects meanwhile
CPU_LEAD_IN_S = 0.5       # CPU is measured from this long before frame 1
LINGER_S = 1.0            # after the last frame, keep measuring this long
START_TIMEOUT_S = 20.0
PROBE_SLACK_S = 60
PORT_RANGE = (15900, 16900)
DISPLAY_RANGE = (50, 400)
SCENARIOS = ["small", "text", "full", "idle"]
SERVERS = ["fbhost-tight", "fbhost-raw", "tigervnc", "neatvnc", "x11vnc"]
BASELINE = "fbhost-preedge"  # only with --fbhost-baseline
TIGHT = "tight copyrect"
GUEST_THREAD = "guest"      # comm of fbhost's built-in guest thread
# fbhost's threads by comm, for the per-thread split (first match wins).
THREAD_GROUPS = [("guest", lambda c: c == GUEST_THREAD),
                 ("render", lambda c: c == "fb-render"),
                 ("vnc", lambda c: c.startswith("vnc-")),
                 ("edge", lambda c: c.startswith("edge-")),
                 ("other", lambda c: True)]


class Procs:
    """Every process this harness started; stopped by PID, never by name."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, log_path):
        with open(log_path, "ab") as log:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=5.0):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)


PROCS = Procs()
USED_PORTS = set()
USED_DISPLAYS = set()


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def port_is_free(port):
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return not port_listening(port)


def free_port():
    for port in range(*PORT_RANGE):
        if port not in USED_PORTS and port_is_free(port):
            USED_PORTS.add(port)
            return port
    raise RuntimeError("no free TCP port in %d..%d" % PORT_RANGE)


def free_display():
    for n in range(*DISPLAY_RANGE):
        if n in USED_DISPLAYS:
            continue
        if os.path.exists("/tmp/.X%d-lock" % n) or os.path.exists("/tmp/.X11-unix/X%d" % n):
            continue
        USED_DISPLAYS.add(n)
        return n
    raise RuntimeError("no free X display in :%d..:%d" % DISPLAY_RANGE)


def port_listening(port):
    """A socket in LISTEN state on the port (IPv4 or IPv6), without connecting."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except FileNotFoundError:
            pass
    return False


def wait_for(what, cond, procs, timeout=START_TIMEOUT_S, may_finish=()):
    """Polls cond; fails if one of procs exits (those in may_finish only on failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        for p in procs:
            rc = p.poll()
            if rc is not None and not (p in may_finish and rc == 0):
                raise RuntimeError("%s: %s exited with %s" % (what, p.args[0], rc))
        time.sleep(0.02)
    raise RuntimeError("%s: timed out after %.0f s" % (what, timeout))


def sched_ns(path):
    """Time on CPU in nanoseconds from a schedstat file (the scheduler's
    sum_exec_runtime: exact, where stat's utime+stime counts 10 ms ticks,
    a tenth of fbhost's whole CPU on small)."""
    with open(path) as f:
        return int(f.read().split()[0])


def thread_ns(pid):
    """{tid: (comm, ns on CPU)} of the live threads of a process."""
    out = {}
    base = "/proc/%d/task" % pid
    for tid in os.listdir(base):
        try:
            with open("%s/%s/comm" % (base, tid)) as f:
                comm = f.read().strip()
            out[int(tid)] = (comm, sched_ns("%s/%s/schedstat" % (base, tid)))
        except (FileNotFoundError, ProcessLookupError):
            pass  # exited between listdir and the read
    return out


def cpu_seconds(procs):
    """CPU seconds of the processes: the sum of their live threads' scheduler
    time (a thread that exits inside a window takes its time with it; none
    of the servers measured here starts or ends threads while it serves)."""
    return sum(ns for p in procs for _, ns in thread_ns(p.pid).values()) / 1e9


def thread_split(before, after, process_s):
    """CPU seconds per thread group over a window, from two thread_ns().

    A thread that started inside the window counts from 0. A thread that
    exited inside it is gone from `after`; its time (all of it) stays in the
    process's own figure, so whatever the live threads do not explain is
    reported as "exited".
    """
    split = {name: 0.0 for name, _ in THREAD_GROUPS}
    guest_threads = 0
    for tid, (comm, ns) in after.items():
        start = before.get(tid, (comm, 0))[1]
        for name, match in THREAD_GROUPS:
            if match(comm):
                split[name] += (ns - start) / 1e9
                break
        guest_threads += comm == GUEST_THREAD
    split["exited"] = process_s - sum(split.values())
    return split, guest_threads


def frame0_ns(log_path):
    try:
        with open(log_path) as f:
            first = f.readline().split()
        if len(first) == 2 and first[0] == "0":
            return int(first[1])
    except FileNotFoundError:
        pass
    return None


def sleep_until_monotonic(t):
    while True:
        d = t - time.monotonic()
        if d <= 0:
            return
        time.sleep(min(d, 0.5))


class Run:
    """One server, one scenario, one repeat."""

    def __init__(self, args, server, scenario, rep):
        self.a = args
        self.server = server
        self.scenario = scenario
        self.stem = os.path.join(args.out, "%s-%s-%d" % (server, scenario, rep))
        self.log = self.stem + ".frames"
        self.ready = self.stem + ".ready"
        self.json = self.stem + ".json"
        self.server_procs = []
        self.started = []

    def start(self, cmd):
        p = PROCS.start(cmd, self.stem + ".out")
        self.started.append(p)
        return p

    def guest_args(self):
        return "%s,fps=%d,seconds=%g,settle=%d,log=%s" % (
            self.scenario, self.a.fps, self.a.seconds, SETTLE_MS, self.log)

    def start_server(self, port):
        w, h = GEOMETRY
        drawer = None
        if self.server == "neatvnc":
            p = self.start([self.a.nvnc_draw, "--port", str(port), "--scenario", self.scenario,
                            "--fps", str(self.a.fps), "--seconds", "%g" % self.a.seconds,
                            "--settle", str(SETTLE_MS), "--log", self.log,
                            "--size", "%dx%d" % (w, h)])
            self.server_procs = [p]
            wait_for("neatvnc listening", lambda: port_listening(port), [p])
            return None
        if self.server.startswith("fbhost"):
            exe = self.a.fbhost_baseline if self.server == BASELINE else self.a.fbhost
            p = self.start([exe, "--fb", "bench:%dx%d" % (w, h),
                            "--guest", "bench:" + self.guest_args(),
                            "--vnc", "127.0.0.1:%d" % port, "--web", "none",
                            "--control", "none"])
            self.server_procs = [p]
            wait_for("fbhost listening", lambda: port_listening(port), [p])
            return None
        n = free_display()
        xdpy = lambda: subprocess.run(["xdpyinfo", "-display", ":%d" % n],
                                      stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL).returncode == 0
        if self.server == "tigervnc":
            p = self.start(["Xvnc", ":%d" % n, "-geometry", "%dx%d" % (w, h), "-depth", "24",
                            "-SecurityTypes", "None", "-localhost", "-rfbport", str(port),
                            "-nolisten", "tcp"])
            self.server_procs = [p]
            wait_for("Xvnc display", xdpy, [p])
            wait_for("Xvnc listening", lambda: port_listening(port), [p])
        else:
            x = self.start(["Xvfb", ":%d" % n, "-screen", "0", "%dx%dx24" % (w, h),
                            "-nolisten", "tcp", "-noreset"])
            wait_for("Xvfb display", xdpy, [x])
            v = self.start(["x11vnc", "-display", ":%d" % n, "-rfbport", str(port),
                            "-localhost", "-nopw", "-forever", "-shared"])
            self.server_procs = [x, v]
            wait_for("x11vnc listening", lambda: port_listening(port), [x, v])
        drawer = self.start([self.a.xdraw, "--display", ":%d" % n, "--scenario", self.scenario,
                             "--fps", str(self.a.fps), "--seconds", "%g" % self.a.seconds,
                             "--settle", str(SETTLE_MS), "--log", self.log])
        return drawer

    def execute(self):
        for path in (self.log, self.ready, self.json):
            if os.path.exists(path):
                os.unlink(path)
        port = free_port()
        try:
            drawer = self.start_server(port)
            watched = self.server_procs + ([drawer] if drawer else [])
            drawn = [drawer] if drawer else []
            wait_for("frame 0 logged", lambda: frame0_ns(self.log) is not None, watched,
                     may_finish=drawn)
            encodings = "raw" if self.server == "fbhost-raw" else TIGHT
            observe = SETTLE_MS / 1000 + self.a.seconds + 2 * LINGER_S
            with open(self.json, "w") as out, open(self.stem + ".probe-err", "w") as err:
                probe = subprocess.Popen(
                    [self.a.probe, "--port", str(port), "--scenario", self.scenario,
                     "--encodings", encodings, "--fps", str(self.a.fps),
                     "--seconds", "%g" % self.a.seconds, "--log", self.log,
                     "--ready", self.ready, "--observe", "%g" % observe,
                     "--linger", str(int(LINGER_S * 1000)),
                     "--timeout", str(int(SETTLE_MS / 1000 + self.a.seconds) + PROBE_SLACK_S),
                     "--label", self.server],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            PROCS.procs.append(probe)
            self.started.append(probe)
            wait_for("probe ready", lambda: os.path.exists(self.ready), watched + [probe],
                     may_finish=drawn)
            # Same window for every server: from CPU_LEAD_IN_S before frame 1.
            t1 = frame0_ns(self.log) / 1e9 + SETTLE_MS / 1000
            # fbhost: per thread too, read right after the process figure.
            fbhost = self.server.startswith("fbhost")
            sleep_until_monotonic(t1 - CPU_LEAD_IN_S)
            cpu0 = cpu_seconds(self.server_procs)
            threads0 = thread_ns(self.server_procs[0].pid) if fbhost else None
            if self.scenario == "idle":
                sleep_until_monotonic(t1 + self.a.seconds + LINGER_S)
                cpu1 = cpu_seconds(self.server_procs)
                threads1 = thread_ns(self.server_procs[0].pid) if fbhost else None
                probe.wait()
            else:
                probe.wait()
                cpu1 = cpu_seconds(self.server_procs)
                threads1 = thread_ns(self.server_procs[0].pid) if fbhost else None
            if drawer and drawer.wait(timeout=PROBE_SLACK_S) != 0:
                raise RuntimeError("bench-xdraw failed (%d), see %s.out"
                                   % (drawer.returncode, self.stem))
            with open(self.json) as f:
                line = f.readline()
            result = json.loads(line) if line.strip() else {"error": "no probe output"}
            result["server"] = self.server
            result["cpu_s"] = cpu1 - cpu0
            if fbhost:
                split, guests = thread_split(threads0, threads1, cpu1 - cpu0)
                result["threads_s"] = split
                # Without the guest's own thread: only when exactly one
                # thread is named "guest" (older builds name none).
                result["cpu_noguest_s"] = (cpu1 - cpu0 - split["guest"]) if guests == 1 \
                    else None
            result["probe_exit"] = probe.returncode
            return result
        finally:
            for p in reversed(self.started):
                PROCS.stop(p)


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits):
    return "–" if v is None else ("%.*f" % (digits, v))


def summarise(results, args):
    by = {}
    for r in results:
        by.setdefault((r["server"], r["scenario"]), []).append(r)
    summary = {}
    for key, all_rs in by.items():
        # Medians over the runs that completed; failures are listed.
        rs = [r for r in all_rs if not r.get("error")] or [{}]
        summary[key] = {
            "mb": med([r["bytes"] / 1e6 if "bytes" in r else None for r in rs]),
            "cpu": med([r.get("cpu_s") for r in rs]),
            "cpu_ng": med([r.get("cpu_noguest_s") for r in rs]),
            "threads": ({g: med([r["threads_s"].get(g) for r in rs if "threads_s" in r])
                         for g in [n for n, _ in THREAD_GROUPS] + ["exited"]}
                        if any("threads_s" in r for r in rs) else None),
            "lat": med([r.get("latency_ms_median") for r in rs]),
            "p95": med([r.get("latency_ms_p95") for r in rs]),
            "seen": min(r.get("frames_seen", 0) for r in rs),
            "seen_med": med([r.get("frames_seen") for r in rs]),
            "expected": max(r.get("frames_expected", 0) for r in rs),
            "decode_failures": sum(r.get("decode_failures", 0) for r in all_rs),
            "final": all(r.get("final_match") for r in all_rs),
            "errors": [r.get("error") for r in all_rs if r.get("error")],
            "late_start": max(r.get("started_at_frame", 0) for r in all_rs),
            "n": len(all_rs),
        }
    return summary


def print_tables(summary, args, machine, command):
    servers, scenarios = args.servers, args.scenarios
    print("## Peer benchmark (%s): %dx%d, %d fps, %g s, medians of %d\n"
          % (", ".join(servers), GEOMETRY[0], GEOMETRY[1], args.fps, args.seconds,
             args.repeats))
    print("- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip())
    print("- machine: %s" % machine)
    print("- command: `%s`" % command)
    if args.fbhost_baseline:
        print("- %s: `%s`" % (BASELINE, args.fbhost_baseline))
    print("- cells: MB after the first picture / server CPU s / latency median ms "
          "(Tight = libvncclient \"tight copyrect\" defaults; fbhost raw for exactness). "
          "fbhost's CPU is the whole process, then (in brackets) without its guest "
          "thread\n")
    print("| scenario | " + " | ".join(servers) + " |")
    print("|---" * (len(servers) + 1) + "|")
    for sc in scenarios:
        cells = []
        for sv in servers:
            s = summary.get((sv, sc))
            if not s:
                cells.append("–")
                continue
            cpu = fmt(s["cpu"], 2)
            if s["cpu_ng"] is not None:
                cpu += " (%s)" % fmt(s["cpu_ng"], 2)
            cells.append("%s / %s / %s%s" % (fmt(s["mb"], 2), cpu,
                                             fmt(s["lat"], 1), " (!)" if s["errors"] else ""))
        print("| %s | %s |" % (sc, " | ".join(cells)))

    print("\n### Details (medians; frames seen is the minimum over repeats)\n")
    print("| server | scenario | MB | CPU s | CPU without guest s | per thread s: "
          "guest / render / vnc / edge / other / rest | latency median ms | p95 ms | "
          "frames seen | decode failures | final frame exact (lossless only) | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for sv in servers:
        for sc in scenarios:
            s = summary.get((sv, sc))
            if not s:
                continue
            seen = "–" if sc == "idle" else "%d/%d" % (s["seen"], s["expected"])
            t = s["threads"]
            split = "–" if not t else " / ".join(
                fmt(t[g], 2) for g in ("guest", "render", "vnc", "edge", "other", "exited"))
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |" % (
                sv, sc, fmt(s["mb"], 3), fmt(s["cpu"], 3), fmt(s["cpu_ng"], 3), split,
                fmt(s["lat"], 1), fmt(s["p95"], 1), seen, s["decode_failures"],
                "yes" if s["final"] else "no", "; ".join(sorted(set(s["errors"]))) or "–"))
    print("\nPer thread: scheduler time of /proc/PID/task/*/schedstat over the CPU window, "
          "grouped by comm (guest, fb-render, vnc-*, edge-*, the rest).")
    print_edge_cost(summary, args)
    print_issue17(summary, args)

    ref, fb = "tigervnc", "fbhost-tight"
    if ref not in servers or fb not in servers:
        return
    print("\n### Issue 7 targets (fbhost Tight / TigerVNC, same run, whole-process CPU)\n")

    def pair(sc, key):
        a, b = summary.get((fb, sc)), summary.get((ref, sc))
        return (a[key] if a else None), (b[key] if b else None)

    def line(text, sc, key, limit, unit):
        a, b = pair(sc, key)
        if a is None or b is None:
            print("- %s: n/a (fbhost %s, TigerVNC %s)" % (text, fmt(a, 3), fmt(b, 3)))
            return
        if b > 0:
            met = a <= limit * b
            print("- %s: %.3f vs %.3f %s = %.2fx (target <= %gx): %s"
                  % (text, a, b, unit, a / b, limit, "met" if met else "NOT MET"))
        else:
            met = a <= 0
            print("- %s: %.3f vs %.3f %s (target <= %gx): %s"
                  % (text, a, b, unit, limit, "met" if met else "NOT MET"))

    line("latency median on small", "small", "lat", 0.5, "ms")
    for sc in scenarios:
        line("server CPU on %s" % sc, sc, "cpu", 0.5, "s")
    for sc in ("small", "full"):
        if sc in scenarios:
            line("bytes on %s" % sc, sc, "mb", 1.0, "MB")
    if "text" in scenarios:
        a, b = pair("text", "mb")
        print("- bytes on text (reported, no target): %s vs %s MB" % (fmt(a, 3), fmt(b, 3)))
    if "idle" in scenarios and summary.get((fb, "idle")):
        mb = summary[(fb, "idle")]["mb"]
        print("- idle bytes after the first frame: %s (target 0): %s"
              % ("n/a" if mb is None else "%d" % round(mb * 1e6),
                 "met" if mb == 0 else "NOT MET"))
        line("idle CPU", "idle", "cpu", 1.0, "s")
    raw = [summary.get(("fbhost-raw", sc)) for sc in scenarios]
    if all(raw):
        ok = all(s["final"] and s["decode_failures"] == 0 for s in raw)
        print("- correctness on raw (every seen frame decodes, final frame exact): %s"
              % ("met" if ok else "NOT MET"))


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def fmt_ratio(r):
    return "–" if r is None else "%.2fx" % r


def per_seen(s, key):
    """A total per frame the probe saw (medians of each): under load a server that
    delivers fewer frames also sends fewer bytes and spends less CPU."""
    if not s or s.get(key) is None or not s.get("seen_med"):
        return None
    return s[key] / s["seen_med"]


def print_edge_cost(summary, args):
    """Issue 14: fbhost's rows against the build before the network edge, same run."""
    fb, pre, ref = "fbhost-tight", BASELINE, "tigervnc"
    if fb not in args.servers or pre not in args.servers:
        return
    print("\n### Issue 14: the edge's cost (fbhost Tight / %s, same run; target <= 1.05x)\n"
          % pre)
    print("| scenario | measure | fbhost | %s | TigerVNC | fbhost / TigerVNC | "
          "%s / TigerVNC | fbhost / %s | verdict | same, per frame seen | "
          "frames seen (median) fbhost / %s / TigerVNC |" % (pre, pre, pre, pre))
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for sc in ("small", "text", "full"):
        if sc not in args.scenarios:
            continue
        a, b, t = summary.get((fb, sc)), summary.get((pre, sc)), summary.get((ref, sc))
        for key, what, digits in (("mb", "MB", 3), ("cpu", "CPU s (whole)", 2),
                                  ("cpu_ng", "CPU s (without guest)", 2),
                                  ("lat", "latency median ms", 2)):
            va, vb = (a or {}).get(key), (b or {}).get(key)
            vt = (t or {}).get("cpu" if key == "cpu_ng" else key)
            r = ratio(va, vb)
            verdict = "–" if r is None else ("met" if r <= 1.05 else "NOT MET")
            rf = None if key == "lat" else ratio(per_seen(a, key), per_seen(b, key))
            seen = " / ".join(fmt((x or {}).get("seen_med"), 0) for x in (a, b, t))
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                sc, what, fmt(va, digits), fmt(vb, digits), fmt(vt, digits),
                fmt_ratio(ratio(va, vt)), fmt_ratio(ratio(vb, vt)), fmt_ratio(r), verdict,
                fmt_ratio(rf), seen))


def print_issue17(summary, args):
    """Issue 17: fbhost without its guest thread against TigerVNC's whole process."""
    fb, ref = "fbhost-tight", "tigervnc"
    if fb not in args.servers or ref not in args.servers:
        return
    print("\n### Issue 17 targets (fbhost Tight without its guest thread / TigerVNC's whole "
          "process, same run)\n")
    print("| target | fbhost | TigerVNC | ratio | limit | verdict | fbhost whole process / "
          "TigerVNC | ratio per frame seen (without guest) |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [("CPU on small", "small", "cpu_ng", 0.5), ("CPU on text", "text", "cpu_ng", 0.5),
            ("CPU on full", "full", "cpu_ng", 0.7),
            ("latency median on full", "full", "lat", 0.5)]
    for text, sc, key, limit in rows:
        if sc not in args.scenarios:
            continue
        a, t = summary.get((fb, sc)) or {}, summary.get((ref, sc)) or {}
        va, vt = a.get(key), t.get("cpu" if key == "cpu_ng" else key)
        r = ratio(va, vt)
        verdict = "–" if r is None else ("met" if r <= limit else "NOT MET")
        whole = fmt_ratio(ratio(a.get("cpu"), vt)) if key == "cpu_ng" else "–"
        rf = fmt_ratio(ratio(per_seen(a, key), per_seen(t, "cpu"))) if key == "cpu_ng" \
            else "–"
        unit = "ms" if key == "lat" else "s"
        print("| %s | %s %s | %s %s | %s | <= %gx | %s | %s | %s |" % (
            text, fmt(va, 2), unit, fmt(vt, 2), unit, fmt_ratio(r), limit, verdict, whole, rf))


def machine_line():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s" % (model, os.cpu_count(), platform.release())


def reprint(args):
    """--reprint DIR: the tables again from a finished run's results.jsonl."""
    with open(os.path.join(args.reprint, "results.jsonl")) as f:
        results = [json.loads(line) for line in f if line.strip()]
    print_tables(summarise(results, args), args, machine_line(), "(reprinted from %s)"
                 % args.reprint)


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-b", "--build", default=os.path.join(root, "build-bench"),
                    help="meson build directory (default: build-bench)")
    ap.add_argument("-r", "--repeats", type=int, default=3)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--fbhost-baseline", metavar="FBHOST",
                    help="another fbhost binary (the build before the VNC network edge), "
                    "run as server %s" % BASELINE)
    ap.add_argument("-o", "--out", help="directory for logs and JSON (default: a new temp dir)")
    ap.add_argument("--reprint", metavar="DIR",
                    help="print the tables of a finished run (its -o DIR) and exit")
    args = ap.parse_args()
    args.scenarios = args.scenarios.split(",")
    args.servers = args.servers.split(",")
    known = SERVERS + ([BASELINE] if args.fbhost_baseline else [])
    if args.fbhost_baseline:
        args.fbhost_baseline = os.path.abspath(args.fbhost_baseline)
        if BASELINE not in args.servers:
            args.servers.append(BASELINE)
    for sc in args.scenarios:
        if sc not in SCENARIOS:
            ap.error("unknown scenario %r (expected %s)" % (sc, ", ".join(SCENARIOS)))
    for sv in args.servers:
        if sv not in known:
            ap.error("unknown server %r (expected %s; %s needs --fbhost-baseline)"
                     % (sv, ", ".join(SERVERS), BASELINE))
    if args.repeats < 1 or args.fps < 1 or args.seconds <= 0:
        ap.error("repeats, fps and seconds must be positive")
    if args.reprint:
        reprint(args)
        return
    args.fbhost = os.path.join(args.build, "server", "app", "fbhost")
    args.probe = os.path.join(args.build, "tests", "bench", "peers", "bench-probe")
    args.xdraw = os.path.join(args.build, "tests", "bench", "peers", "bench-xdraw")
    args.nvnc_draw = os.path.join(args.build, "tests", "bench", "peers", "bench-nvnc-draw")
    needed = [args.probe]
    if any(s.startswith("fbhost") and s != BASELINE for s in args.servers):
        needed.append(args.fbhost)
    if args.fbhost_baseline:
        needed.append(args.fbhost_baseline)
    if any(s in ("tigervnc", "x11vnc") for s in args.servers):
        needed += [args.xdraw, "xdpyinfo"]
    if "neatvnc" in args.servers:
        needed.append(args.nvnc_draw)
    if "tigervnc" in args.servers:
        needed.append("Xvnc")
    if "x11vnc" in args.servers:
        needed += ["Xvfb", "x11vnc"]
    missing = [n for n in needed
               if not (os.access(n, os.X_OK) if "/" in n else
                       any(os.access(os.path.join(d, n), os.X_OK)
                           for d in os.environ.get("PATH", "").split(":")))]
    if missing:
        sys.exit("run-peers: missing %s (build with meson in %s; apt-get install "
                 "tigervnc-standalone-server x11vnc xvfb x11-utils libneatvnc-dev)" % (", ".join(missing),
                                                                       args.build))
    args.out = args.out or tempfile.mkdtemp(prefix="fbhost-peers-")
    os.makedirs(args.out, exist_ok=True)

    atexit.register(PROCS.stop_all)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    results = []
    with open(os.path.join(args.out, "results.jsonl"), "w") as jl:
        for rep in range(1, args.repeats + 1):
            for sc in args.scenarios:
                for sv in args.servers:
                    print("run-peers: %s %s (%d/%d)" % (sv, sc, rep, args.repeats),
                          file=sys.stderr, flush=True)
                    try:
                        r = Run(args, sv, sc, rep).execute()
                    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                        print("run-peers: %s %s failed: %s" % (sv, sc, e), file=sys.stderr)
                        r = {"server": sv, "scenario": sc, "error": str(e), "cpu_s": None}
                    results.append(r)
                    jl.write(json.dumps(r) + "\n")
                    jl.flush()
    command = " ".join([os.path.relpath(sys.argv[0], root)] + sys.argv[1:])
    print_tables(summarise(results, args), args, machine_line(), command)
    print("\nRaw results and logs: %s" % args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
