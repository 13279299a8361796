#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time:
#   run-target.sh EXE SEED_DIR WORK_DIR SECONDS [LIBFUZZER_OPTION]...
# WORK_DIR is emptied first; it receives the inputs the run found
# (WORK_DIR/corpus, so the committed seeds stay untouched), the files the
# target writes (WORK_DIR/files, its working directory) and, on a finding,
# the input that caused it (WORK_DIR/crash-*, leak-*, timeout-*, oom-*).
# Exits 1 on any finding (libFuzzer's own status, 77, would read as a skip
# to meson).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 EXE SEED_DIR WORK_DIR SECONDS [OPTION]..." >&2; exit 2; }
exe=$1 seeds=$2 work=$3 seconds=$4
shift 4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/files"
exe=$(realpath "$exe") seeds=$(realpath "$seeds") work=$(realpath "$work")
cd "$work/files"
# -timeout: one input may take this long (a screendump of the largest
# framebuffer takes seconds under ASan); -rss_limit_mb: room for that.
exec "$exe" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 -error_exitcode=1 \
	-artifact_prefix="$work/" "$@" "$work/corpus" "$seeds"
