#!/usr/bin/env bash
# Installs what fbhost needs on Debian 12, only what is missing (always
# refreshes the package lists under CI). Sourced by .ci/run, tests/run-all.sh
# and server/run.sh. Needs root or sudo when something is missing.
set -euo pipefail

FBHOST_BUILD_PKGS=(gcc meson ninja-build pkg-config python3
	liburcu-dev libpixman-1-dev libvncserver-dev libsdl2-dev libpng-dev libmicrohttpd-dev
	libgnutls28-dev libwslay-dev libglib2.0-dev)
# The viewers of tests/server/test-server-viewers.c: TigerVNC, gtk-vnc's
# gvnccapture and Remmina (driven with xdotool, clipboard read with xclip);
# libnss-wrapper gives gvnccapture a private home holding the test's CA.
# clang-14 with libFuzzer builds the fuzz targets (tests/fuzz).
FBHOST_TEST_PKGS=(libcmocka-dev zlib1g-dev xvfb xauth x11-apps imagemagick chromium openssl
	tigervnc-viewer gvncviewer libnss-wrapper remmina remmina-plugin-vnc xdotool xclip clang-14 libclang-rt-14-dev
	# tests/check-format.sh
	clang-format
	# tests/qemu: the VMs, their private bus, the kernel and the initramfs's tools
	qemu-system-x86 dbus-daemon linux-image-amd64 busybox-static cpio
	# tests/qemu/guest-cursor.c, built static into the initramfs: DRM's uapi headers
	libdrm-dev
	# tests/bench/peers/nvnc-draw.c (built when found): neatvnc, the peer benchmark's third
	# server; a benchmark, not needed to run fbhost
	libneatvnc-dev libaml-dev
	# tests/attach installs the Python guest client with pip
	python3-pip python3-setuptools python3-wheel)

fbhost_install_deps() { # $@: package names
	local missing=() p sudo=""
	for p in "$@"; do
		[[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"ok installed" ]] ||
			missing+=("$p")
	done
	if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
	[ "$(id -u)" = 0 ] || sudo=sudo
	if [ "${CI:-}" = true ] || [ ${#missing[@]} -gt 0 ]; then
		echo "deps: installing ${missing[*]:-(refresh only)}"
		$sudo apt-get update -qq
		[ ${#missing[@]} -eq 0 ] ||
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# Fetches noVNC (and, for tests, playwright-core) from npm into vnc/web/node_modules.
fbhost_install_web() {
	local top
	top=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd))
	if [ ! -f "$top/vnc/web/node_modules/@novnc/novnc/core/rfb.js" ] ||
		{ [ "${1:-}" = dev ] && [ ! -d "$top/vnc/web/node_modules/playwright-core" ]; }; then
		(cd "$top/vnc/web" && npm install --no-audit --no-fund --loglevel=error $([ "${1:-}" = dev ] || echo --omit=dev) >/dev/null)
	fi
}

# QEMU from bookworm-backports (10.x, which shares the console's memory with
# a D-Bus listener: Listener.Unix.Map) unpacked into $1, not installed:
# Debian 12's own QEMU 7.2 stays the system's, and tests/run-all.sh runs the
# qemu suite a second time on this one through the wrapper
# $1/bin/qemu-system-x86_64 (its own modules and firmware first). 0 when
# the wrapper runs; otherwise 1 and a line saying why.
fbhost_fetch_qemu_backports() {
	local dir=$1 deb lib missing
	local apt=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$dir/sources"
		-o "Dir::State::Lists=$dir/lists" -o Dir::Cache::archives="$dir/cache"
		-o APT::Sandbox::User=root)
	rm -rf "$dir"
	mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/partial" "$dir/debs" "$dir/root" "$dir/bin"
	cat >"$dir/sources/backports.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	if ! apt-get "${apt[@]}" update -qq >"$dir/apt.log" 2>&1 ||
		! (cd "$dir/debs" && apt-get "${apt[@]}" download qemu-system-x86 qemu-system-common \
			qemu-system-data qemu-system-modules-opengl >>"$dir/apt.log" 2>&1); then
		echo "qemu-backports: not fetched: $(tail -n 1 "$dir/apt.log")"
		return 1
	fi
	for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
	lib=$dir/root/usr/lib/x86_64-linux-gnu/qemu
	missing=$(ldd "$dir/root/usr/bin/qemu-system-x86_64" "$lib/ui-dbus.so" | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
	if [ -n "$missing" ]; then
		echo "qemu-backports: libraries missing: $missing"
		return 1
	fi
	cat >"$dir/bin/qemu-system-x86_64" <<WRAP
#!/bin/sh
export QEMU_MODULE_DIR=$lib
exec $dir/root/usr/bin/qemu-system-x86_64 -L $dir/root/usr/share/qemu -L /usr/share/qemu "\$@"
WRAP
	chmod +x "$dir/bin/qemu-system-x86_64"
	"$dir/bin/qemu-system-x86_64" --version | head -n 1
}
