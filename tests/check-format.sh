#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/check-format.sh - every C file git tracks is formatted as the repo's
# .clang-format says (clang-format --dry-run --Werror); lists the files that
# are not and how to fix them. Usage: check-format.sh SOURCE_DIR CLANG_FORMAT
set -euo pipefail
cd "$1"
fmt=$2
bad=()
while IFS= read -r -d '' f; do
	"$fmt" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files -z '*.c' '*.h')
if [ ${#bad[@]} -gt 0 ]; then
	echo "not formatted (fix with: clang-format -i FILE):"
	printf '  %s\n' "${bad[@]}"
	exit 1
fi
echo "ok: every tracked C file matches .clang-format"
