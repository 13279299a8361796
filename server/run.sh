#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# server/run.sh - the README's first quick-start command: installs what is
# missing (Debian 12, root or sudo), fetches noVNC, builds fbhost in build/
# and runs it. Arguments go to fbhost, e.g.:
#   bash server/run.sh --fb main:1280x720 --guest pattern
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. .ci/deps.sh
fbhost_install_deps "${FBHOST_BUILD_PKGS[@]}"
fbhost_install_web
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null || { ninja -C build | tail -40; exit 1; }
exec build/server/app/fbhost "$@"
