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


class AttachRun(peers.Run):
    """One mode, one scenario, one repeat."""

    def start_server(self, port):
        w, h = peers.GEOMETRY
        if self.server == "in-process":
            p = self.start([self.a.fbhost, "--fb", "bench:%dx%d" % (w, h),
                            "--guest", "bench:" + self.guest_args(),
                            "--vnc", "127.0.0.1:%d" % port, "--web", "none",
                            "--control", "none"])
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
                           "--settle", str(peers.SETTLE_MS), "--log", self.log] +
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
            cpu0 = peers.cpu_seconds(self.server_procs)
            ccpu0 = peers.cpu_seconds(drawn)  # a finished drawer stays a zombie until waited
            probe.wait()
            cpu1 = peers.cpu_seconds(self.server_procs)
            ccpu1 = peers.cpu_seconds(drawn)
            if drawer and drawer.wait(timeout=peers.PROBE_SLACK_S) != 0:
                raise RuntimeError("bench-attach-draw failed (%d), see %s.out"
                                   % (drawer.returncode, self.stem))
            with open(self.json) as f:
                line = f.readline()
            result = json.loads(line) if line.strip() else {"error": "no probe output"}
            result["server"] = self.server
            result["cpu_s"] = cpu1 - cpu0
            result["client_cpu_s"] = ccpu1 - ccpu0
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
    args.probe = os.path.join(args.build, "tests", "bench", "peers", "bench-probe")
    args.draw = os.path.join(args.build, "tests", "bench", "attach", "bench-attach-draw")
    for n in (args.fbhost, args.probe, args.draw):
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
    print("CPU in seconds over the run; ratio = total CPU / in-process guest's total CPU\n")
    print("| scenario | tracking | server CPU | client CPU | total | ratio | latency ms "
          "(p95) | frames seen/expected | final exact |")
    print("|---|---|---|---|---|---|---|---|---|")
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
            total = s + c
            if mode == "in-process":
                base = total
            ratio = total / base if base else None
            print("| %s | %s | %.2f | %.2f | %.2f | %s | %s (%s) | %d/%d | %s |" % (
                sc, "in-process guest" if mode == "in-process" else
                {"uffd": "uffd-wp"}.get(mode, mode), s, c, total,
                "%.2fx" % ratio if ratio else "–",
                peers.fmt(med([r.get("latency_ms_median") for r in rs]), 1),
                peers.fmt(med([r.get("latency_ms_p95") for r in rs]), 1),
                min(r.get("frames_seen", 0) for r in rs),
                max(r.get("frames_expected", 0) for r in rs),
                "yes" if all(r.get("final_match") for r in rs) else "NO"))
    print("\nlogs and JSON: %s" % args.out)


if __name__ == "__main__":
    main()
