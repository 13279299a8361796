#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# server/run.sh - the README's first quick-start command: installs what is
# missing (Debian 12, root or sudo), fetches noVNC, builds fbhost in
# build-run/ (release, no tests: it never touches the test command's build
# directories) and runs it. Arguments go to fbhost, e.g.:
#   bash server/run.sh --fb main:1280x720 --guest pattern
#   bash server/run.sh --check     # start, answer one VNC client, exit
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=build-run

# Runs one step; on failure says which command to rerun by hand.
run_step() { # $1: what, $2...: command
	local what=$1
	shift
	if ! "$@"; then
		echo "run.sh: $what failed; rerun it with:" >&2
		echo "  (cd $top && $*)" >&2
		exit 1
	fi
}

. .ci/deps.sh
echo "run.sh: build packages: ${FBHOST_BUILD_PKGS[*]}"
run_step "installing packages" fbhost_install_deps "${FBHOST_BUILD_PKGS[@]}"
run_step "fetching noVNC (npm)" fbhost_install_web
if [ ! -f "$build/build.ninja" ]; then
	echo "run.sh: first build in $build/ (about a minute on 2 cores)"
	run_step "configuring" meson setup "$build" --buildtype=release -Dtests=disabled
fi
start=$(date +%s)
run_step "building" ninja --quiet -C "$build"
echo "run.sh: build took $(($(date +%s) - start)) s; starting $build/server/app/fbhost $*"
exec "$build/server/app/fbhost" "$@"
