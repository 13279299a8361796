#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""run-attach.py - the bench scenarios drawn by a guest in another process.

For each scenario (small, text, full), fbhost's in-process bench guest is the
baseline; then bench-attach-draw draws the same pixels from another process
through libfbhost-guest, once per tracking mode (uffd-wp: the kernel; log:
the shared dirty log; damage: rectangles; compare: fbhost compares). The
client ends each frame with frame_done and says so (FBHOST_GUEST_FRAMES), so
fbhost does not poll; the -poll modes leave that out (fbhost's render thread
ticks at full rate to find plain stores). All runs
are measured by bench-probe (libvncclient, raw encoding, so that encoding cost
does not hide the tracking cost): server CPU (fbhost), client CPU (the
drawing process), latency by the frame-number strip, frames seen, final
picture exact. Ratios are against the in-process guest's total CPU in the
same run (its drawing is inside fbhost). Reuses ../peers/run-peers.py.

    tests/bench/attach/run-attach.py [-b build-bench] [-r 3] [--seconds 10]
"""
import argparse
import atexit
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "run_peers", os.path.join(HERE, "..", "peers", "run-peers.py"))
peers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(peers)

SCENARIOS = ["small", "text", "full"]
MODES = ["in-process", "uffd", "log", "damage", "compare", "uffd-poll", "log-poll"]


# Counters of `fbhost-ctl stats --json` taken over the CPU window.
STAT_KEYS = ["ticks", "dirty_pages", "rects", "pixels", "updates", "bytes_sent",
             "tracked_pages"]


def thread_cpu_ns(procs):
    """CPU time of every thread of the processes, by thread name, in ns.

    From /proc/PID/task/*/schedstat (the scheduler's sum_exec_runtime),
    not /proc/PID/stat: that one counts 10 ms ticks, too coarse for runs
    that cost 0.1 s. A zombie (the drawer after its last frame) keeps its
    leader's entry until it is waited for."""
    out = {}
    for p in procs:
        tdir = "/proc/%d/task" % p.pid
        for tid in os.listdir(tdir):
            try:
                with open("%s/%s/schedstat" % (tdir, tid)) as f:
                    ns = int(f.read().split()[0])
                with open("%s/%s/comm" % (tdir, tid)) as f:
                    name = f.read().strip()
            except (OSError, ValueError, IndexError):
                continue  # the thread ended meanwhile
            out[name] = out.get(name, 0) + ns
    return out


def cpu_delta_s(before, after):
    return sum(after.values()) / 1e9 - sum(before.values()) / 1e9


class AttachRun(peers.Run):
    """One mode, one scenario, one repeat."""

    def fb_stats(self):
        """Framebuffer 0's counters (fbhost-ctl stats --json); {} if none."""
        try:
            out = subprocess.run([self.a.ctl, "--socket", self.stem + ".sock", "stats", "0",
                                  "--json"], capture_output=True, text=True, timeout=10)
            return json.loads(out.stdout)["framebuffers"][0]
        except (OSError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired):
            return {}

    def start_server(self, port):
        w, h = peers.GEOMETRY
        if self.server == "in-process":
            p = self.start([self.a.fbhost, "--fb", "bench:%dx%d" % (w, h),
                            "--guest", "bench:" + self.guest_args(),
                            "--vnc", "127.0.0.1:%d" % port, "--web", "none",
                            "--control", self.stem + ".sock"])
            self.server_procs = [p]
            peers.wait_for("fbhost listening", lambda: peers.port_listening(port), [p])
            return None
        ctl = self.stem + ".sock"
        attach = self.stem + "-guest.sock"
        p = self.start([self.a.fbhost, "--fb", "bench:%dx%d" % (w, h), "--guest", "none",
                        "--vnc", "127.0.0.1:%d" % port, "--web", "none", "--control", ctl])
        self.server_procs = [p]
        peers.wait_for("fbhost listening", lambda: peers.port_listening(port) and
                       os.path.exists(attach), [p])
        mode = self.server.replace("-poll", "")
        return self.start([self.a.draw, "--socket", attach, "--fb", "bench",
                           "--scenario", self.scenario, "--tracking", mode,
                           "--fps", str(self.a.fps), "--seconds", "%g" % self.a.seconds,
                           "--settle", str(peers.SETTLE_MS), "--log", self.log,
                           # attached until the probe is done (its linger), as the
                           # in-process guest: detaching marks the whole frame once
                           "--hold-ms", str(int((3 * peers.LINGER_S + 1) * 1000))] +
                          (["--poll"] if self.server.endswith("-poll") else []))

    def execute(self):
        # run-peers' Run.execute, with the drawing client's CPU measured too.
        for path in (self.log, self.ready, self.json):
            if os.path.exists(path):
                os.unlink(path)
        port = peers.free_port()
        try:
            drawer = self.start_server(port)
            drawn = [drawer] if drawer else []
            watched = self.server_procs + drawn
            peers.wait_for("frame 0 logged", lambda: peers.frame0_ns(self.log) is not None,
                           watched, may_finish=drawn)
            observe = peers.SETTLE_MS / 1000 + self.a.seconds + 2 * peers.LINGER_S
            with open(self.json, "w") as out, open(self.stem + ".probe-err", "w") as err:
                probe = subprocess.Popen(
                    [self.a.probe, "--port", str(port), "--scenario", self.scenario,
                     "--encodings", "raw", "--fps", str(self.a.fps),
                     "--seconds", "%g" % self.a.seconds, "--log", self.log,
                     "--ready", self.ready, "--observe", "%g" % observe,
                     "--linger", str(int(peers.LINGER_S * 1000)),
                     "--timeout", str(int(peers.SETTLE_MS / 1000 + self.a.seconds) +
                                      peers.PROBE_SLACK_S),
                     "--label", self.server],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            peers.PROCS.procs.append(probe)
            self.started.append(probe)
            peers.wait_for("probe ready", lambda: os.path.exists(self.ready),
                           watched + [probe], may_finish=drawn)
            t1 = peers.frame0_ns(self.log) / 1e9 + peers.SETTLE_MS / 1000
            peers.sleep_until_monotonic(t1 - peers.CPU_LEAD_IN_S)
            stats0 = self.fb_stats()
            cpu0 = thread_cpu_ns(self.server_procs)
            ccpu0 = thread_cpu_ns(drawn)  # a finished drawer stays a zombie until waited
            # The probe's own CPU, its whole life, from the kernel's rusage.
            _, status, ru = os.wait4(probe.pid, 0)
            probe.returncode = os.waitstatus_to_exitcode(status)
            cpu1 = thread_cpu_ns(self.server_procs)
            ccpu1 = thread_cpu_ns(drawn)
            stats1 = self.fb_stats()
            if drawer and drawer.wait(timeout=peers.PROBE_SLACK_S) != 0:
                raise RuntimeError("bench-attach-draw failed (%d), see %s.out"
                                   % (drawer.returncode, self.stem))
            with open(self.json) as f:
                line = f.readline()
            result = json.loads(line) if line.strip() else {"error": "no probe output"}
            result["server"] = self.server
            result["cpu_s"] = cpu_delta_s(cpu0, cpu1)
            result["client_cpu_s"] = cpu_delta_s(ccpu0, ccpu1)
            result["probe_cpu_s"] = ru.ru_utime + ru.ru_stime
            result["server_threads_s"] = {
                k: round((cpu1[k] - cpu0.get(k, 0)) / 1e9, 4) for k in cpu1}
            for k in STAT_KEYS:
                if k in stats0 and k in stats1:
                    result["fb_" + k] = stats1[k] - stats0[k]
            result["probe_exit"] = probe.returncode
            return result
        finally:
            for p in reversed(self.started):
                peers.PROCS.stop(p)


def main():
    root = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-b", "--build", default=os.path.join(root, "build-bench"))
    ap.add_argument("-r", "--repeats", type=int, default=3)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("-o", "--out")
    args = ap.parse_args()
    args.scenarios = args.scenarios.split(",")
    args.modes = args.modes.split(",")
    if "in-process" not in args.modes:
        args.modes.insert(0, "in-process")  # the baseline of every ratio
    args.fbhost = os.path.join(args.build, "server", "app", "fbhost")
    args.ctl = os.path.join(args.build, "server", "app", "fbhost-ctl")
    args.probe = os.path.join(args.build, "tests", "bench", "peers", "bench-probe")
    args.draw = os.path.join(args.build, "tests", "bench", "attach", "bench-attach-draw")
    for n in (args.fbhost, args.ctl, args.probe, args.draw):
        if not os.access(n, os.X_OK):
            sys.exit("run-attach: missing %s (build in %s)" % (n, args.build))
    args.out = args.out or tempfile.mkdtemp(prefix="fbhost-attach-")
    os.makedirs(args.out, exist_ok=True)
    atexit.register(peers.PROCS.stop_all)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, peers.on_signal)

    results = []
    with open(os.path.join(args.out, "results.jsonl"), "w") as jl:
        for rep in range(1, args.repeats + 1):
            for sc in args.scenarios:
                for mode in args.modes:
                    print("run-attach: %s %s (%d/%d)" % (mode, sc, rep, args.repeats),
                          file=sys.stderr, flush=True)
                    try:
                        r = AttachRun(args, mode, sc, rep).execute()
                    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                        r = {"server": mode, "error": str(e)}
                    r["scenario"], r["rep"] = sc, rep
                    jl.write(json.dumps(r) + "\n")
                    results.append(r)

    med = peers.med
    print("\nbench-attach: %s; %d fps, %g s, medians of %d; raw encoding; 1920x1080"
          % (peers.machine_line(), args.fps, args.seconds, args.repeats))
    print("CPU in seconds over the run (scheduler time of every thread); ratio = total CPU / "
          "in-process guest's total CPU\n")
    print("paired = median over repeats of total CPU / the same repeat's in-process total "
          "(less sensitive to the machine's load drifting between repeats)\n")
    print("| scenario | tracking | server CPU | client CPU | total | ratio | paired | latency ms "
          "(p95) | frames seen/expected | final exact |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for sc in args.scenarios:
        base = None
        for mode in args.modes:
            rs = [r for r in results if r["scenario"] == sc and r["server"] == mode
                  and not r.get("error")]
            if not rs:
                errs = [r.get("error") for r in results
                        if r["scenario"] == sc and r["server"] == mode]
                print("| %s | %s | failed: %s |" % (sc, mode, "; ".join(map(str, errs))))
                continue
            s = med([r["cpu_s"] for r in rs])
            c = med([r.get("client_cpu_s", 0.0) for r in rs])
            total = med([r["cpu_s"] + r.get("client_cpu_s", 0.0) for r in rs])
            if mode == "in-process":
                base = total
            ratio = total / base if base else None
            paired = []
            for r in rs:
                b = [x for x in results if x["scenario"] == sc and x["rep"] == r["rep"]
                     and x["server"] == "in-process" and not x.get("error")]
                if b and b[0]["cpu_s"] + b[0].get("client_cpu_s", 0.0) > 0:
                    paired.append((r["cpu_s"] + r.get("client_cpu_s", 0.0)) /
                                  (b[0]["cpu_s"] + b[0].get("client_cpu_s", 0.0)))
            paired = med(paired)
            name = "in-process guest" if mode == "in-process" else \
                {"uffd": "uffd-wp"}.get(mode, mode)
            rows.append((sc, name, rs))
            print("| %s | %s | %.3f | %.3f | %.3f | %s | %s | %s (%s) | %d/%d | %s |" % (
                sc, name, s, c, total,
                "%.2fx" % ratio if ratio else "–",
                "%.2fx" % paired if paired else "–",
                peers.fmt(med([r.get("latency_ms_median") for r in rs]), 1),
                peers.fmt(med([r.get("latency_ms_p95") for r in rs]), 1),
                min(r.get("frames_seen", 0) for r in rs),
                max(r.get("frames_expected", 0) for r in rs),
                "yes" if all(r.get("final_match") for r in rs) else "NO"))
    # Where the CPU goes, and what fbhost did over the same window.
    threads = sorted({k for _, _, rs in rows for r in rs for k in r.get("server_threads_s", {})})
    print("\nServer CPU per thread (s, medians), fbhost's counters over the window, and the "
          "probe's own CPU (its whole life):\n")
    print("| scenario | tracking | %s | ticks | VNC updates | tracked pages | probe CPU |"
          % " | ".join(threads))
    print("|---|---|%s---|---|---|---|" % ("---|" * len(threads)))
    for sc, name, rs in rows:
        cells = [peers.fmt(med([r.get("server_threads_s", {}).get(t, 0.0) for r in rs]), 3)
                 for t in threads]
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            sc, name, " | ".join(cells),
            peers.fmt(med([r.get("fb_ticks") for r in rs]), 0),
            peers.fmt(med([r.get("fb_updates") for r in rs]), 0),
            peers.fmt(med([r.get("fb_tracked_pages") for r in rs]), 0),
            peers.fmt(med([r.get("probe_cpu_s") for r in rs]), 3)))
    print("\nlogs and JSON: %s" % args.out)


if __name__ == "__main__":
    main()
