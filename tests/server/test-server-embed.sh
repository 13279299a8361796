#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/server/test-server-embed.sh - the README's embedding example against
# the INSTALLED library: meson install into a temporary DESTDIR, check the
# installed files, build server/example/embed.c with the compiler and
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
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror "${san[@]}" -o "$tmp/embed" "$src/server/example/embed.c" \
	$cflags $libs -Wl,-rpath,"$libdir"
# It must use the installed library, not the build tree's.
ldd "$tmp/embed" | grep -q "$libdir/libfbhost.so" || { ldd "$tmp/embed"; echo "FAIL: not linked to the installed lib"; exit 1; }

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
