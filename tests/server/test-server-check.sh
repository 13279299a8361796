#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/server/test-server-check.sh - `fbhost --check`, as CI runs the
# README's first command: it starts, visits every VNC port and viewer page
# as a client, prints one line per check and exits 0; with a password set it
# stops at the security list and still passes. Usage: test-server-check.sh FBHOST
set -euo pipefail
fbhost=$1
tmp=$(mktemp -d /tmp/fbhost-check-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out"; exit 1; }

# Two framebuffers on free ports, with viewers (noVNC may be absent: then
# fbhost serves VNC alone and the check covers what is served).
timeout 60 "$fbhost" --check --fb a:320x200 --fb b:640x480:16 --vnc 127.0.0.1:0 --web 0 \
	--control none --guest pattern >"$tmp/out" 2>&1 || fail "exit $?"
grep -qx 'check: a VNC port [0-9]*: RFB 003.008, 320x200 "a"' "$tmp/out" || fail "no VNC line for a"
grep -qx 'check: b VNC port [0-9]*: RFB 003.008, 640x480 "b"' "$tmp/out" || fail "no VNC line for b"
grep -qx 'check: ok' "$tmp/out" || fail "no final ok"

printf 'secret\n' >"$tmp/pw"
timeout 60 "$fbhost" --check --fb c:160x100 --vnc 127.0.0.1:0 --web none --control none \
	--password-file "$tmp/pw" >"$tmp/out" 2>&1 || fail "exit $? with a password"
grep -qx 'check: c VNC port [0-9]*: RFB 003.008, VNC password required' "$tmp/out" ||
	fail "no password line"
grep -q 'viewer port' "$tmp/out" && fail "checked a viewer with --web none"
grep -qx 'check: ok' "$tmp/out" || fail "no final ok with a password"
echo "ok: --check"
