#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/server/test-server-embed.sh - the README's embedding example against
# the INSTALLED library: meson install into a temporary DESTDIR, check the
# installed files, build server/lib/example/embed.c with the compiler and
# `pkg-config --cflags --libs fbhost` from that prefix, run it on a free
# port, and read its frame back exactly with a libvncclient checker.
# Usage: test-server-embed.sh BUILD_DIR SOURCE_DIR PREFIX SANITIZE EMBED_CHECK
set -euo pipefail
build=$1 src=$2 prefix=$3 sanitize=$4 check=$5
wait_s=30
# meson test points LD_LIBRARY_PATH at the build tree; the example must
# find the installed library through its rpath alone.
unset LD_LIBRARY_PATH

tmp=$(mktemp -d /tmp/fbhost-embed-XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "FAIL: meson install"; exit 1; }
root=$tmp/root$prefix

for f in bin/fbhost bin/fbhost-ctl include/fbhost.h share/man/man1/fbhost.1; do
	[ -e "$root/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$root" -name fbhost.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: fbhost.pc not installed"; exit 1; }
ls "$(dirname "$pc")"/../libfbhost.so* >/dev/null || { echo "FAIL: libfbhost.so not installed"; exit 1; }

export PKG_CONFIG_PATH=$(dirname "$pc")
cflags=$(pkg-config --define-variable=prefix="$root" --cflags fbhost)
libs=$(pkg-config --define-variable=prefix="$root" --libs fbhost)
libdir=$(pkg-config --define-variable=prefix="$root" --variable=libdir fbhost)
case $cflags in *"$tmp"*) ;; *) echo "FAIL: cflags do not point into the prefix: $cflags"; exit 1 ;; esac
san=()
if [ "$sanitize" != none ] && [ -n "$sanitize" ]; then san=(-fsanitize="$sanitize"); fi
# shellcheck disable=SC2086 # pkg-config output is a word list
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror "${san[@]}" -o "$tmp/embed" "$src/server/lib/example/embed.c" \
	$cflags $libs -Wl,-rpath,"$libdir"
# It must use the installed library, not the build tree's.
# (ldd's whole output first: grep -q stops reading at its match, and under
# pipefail ldd's SIGPIPE would fail the check.)
deps=$(ldd "$tmp/embed")
grep -q "$libdir/libfbhost.so" <<<"$deps" || { echo "$deps"; echo "FAIL: not linked to the installed lib"; exit 1; }

: >"$tmp/out" # exists before the background job opens it: the loop reads it at once
"$tmp/embed" 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq $((wait_s * 10))); do
	port=$(sed -n 's/^serving 640x480 on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/out")
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/out" "$tmp/err"; echo "FAIL: the example did not start"; exit 1; }
"$check" "$port" || { cat "$tmp/err"; echo "FAIL: frame mismatch"; exit 1; }

kill -TERM "$pid"
status=0
for _ in $(seq $((wait_s * 10))); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || { cat "$tmp/err"; echo "FAIL: the example exited $status"; exit 1; }
echo "ok: the installed example served the exact frame on port $port"

# The installed program serves the installed viewer and noVNC (the web root
# is given explicitly: the compiled-in datadir lies outside DESTDIR here).
http_status() { # $1 port, $2 path
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
	IFS= read -r -t "$wait_s" line <&3 || true
	exec 3<&-
	echo "${line#HTTP/1.? }" | cut -d' ' -f1
}
webroot=$root/share/fbhost/web
if [ -f "$webroot/viewer.html" ] && [ -f "$webroot/node_modules/@novnc/novnc/core/rfb.js" ]; then
	: >"$tmp/fbhost.out"
	"$root/bin/fbhost" --guest none --vnc 127.0.0.1:0 --web 0 --web-root "$webroot" \
		--control "$tmp/ctl.sock" >"$tmp/fbhost.out" 2>"$tmp/fbhost.err" &
	pid=$!
	web=
	for _ in $(seq $((wait_s * 10))); do
		web=$(sed -n 's|^    viewer: http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/fbhost.out")
		[ -n "$web" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$web" ] || { cat "$tmp/fbhost.out" "$tmp/fbhost.err"; echo "FAIL: installed fbhost printed no viewer"; exit 1; }
	for path in / /viewer.html /viewer-keys.js /viewer-settings.js /viewer-stats.js /index.js \
		/api/framebuffers /novnc/core/rfb.js; do
		code=$(http_status "$web" "$path")
		[ "$code" = 200 ] || { echo "FAIL: GET $path from the installed viewer: $code"; exit 1; }
	done
	kill -TERM "$pid"
	for _ in $(seq $((wait_s * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	status=0
	wait "$pid" || status=$?
	pid=
	[ "$status" = 0 ] || { cat "$tmp/fbhost.err"; echo "FAIL: installed fbhost exited $status"; exit 1; }
	[ ! -e "$tmp/ctl.sock" ] || { echo "FAIL: control socket left behind"; exit 1; }
	echo "ok: the installed fbhost served the installed viewer and noVNC"
else
	echo "note: noVNC was not installed (vnc/web/node_modules missing at setup); viewer check skipped"
fi
