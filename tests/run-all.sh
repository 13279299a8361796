#!/usr/bin/env bash
# Installs what is missing, builds fbhost in three configurations and runs
# every test:
#   build/        normal build: the whole suite, then the qemu suite again on
#                 QEMU 10 from bookworm-backports (unpacked, not installed)
#   build-asan/   -Db_sanitize=address,undefined: the whole suite; every
#                 report is fatal (-fno-sanitize-recover=all, halt_on_error)
#   build-tsan/   -Db_sanitize=thread: the 'concurrency' suite
#   build-fuzz/   clang-14, -Dfuzz=enabled, ASan+UBSan as above: the 'fuzz'
#                 suite (each libFuzzer target for about a minute)
#   build-bench/  --buildtype=release: built only (benchmarks are measured
#                 there, and -O3 finds warnings the others miss)
# Ends with one line "N passed, N failed" counted from meson's test logs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. .ci/deps.sh
fbhost_install_deps "${FBHOST_BUILD_PKGS[@]}" "${FBHOST_TEST_PKGS[@]}"
fbhost_install_web dev

# dir|meson options|test selection|compiler (empty: the default)
sanitize_fatal="-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all"
configs=(
	"build|||"
	"build-asan|$sanitize_fatal||"
	"build-tsan|-Db_sanitize=thread -Db_lundef=false|--suite concurrency|"
	"build-fuzz|$sanitize_fatal -Dfuzz=enabled|--suite fuzz|clang-14"
)
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$top/tests/tsan.supp"
status=0
for c in "${configs[@]}"; do
	IFS='|' read -r dir opts suite compiler <<<"$c"
	echo "=== $dir ($opts) ${suite:-all suites}"
	# -Dtests=enabled: a missing test dependency fails loudly here, and a
	# directory configured without tests is switched over. An existing
	# directory gets the options too (they change over time).
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" -Dtests=enabled $opts >/dev/null
	else
		env ${compiler:+CC=$compiler} meson setup "$dir" -Dtests=enabled $opts >/dev/null
	fi
	ninja -C "$dir" >/dev/null || { echo "build failed in $dir"; ninja -C "$dir" | tail -40; exit 1; }
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 $suite || status=1
done

# The qemu suite again on a newer QEMU: QEMU 10 from bookworm-backports
# takes fbhost's shared-memory listener (ScanoutMap, UpdateMap), which
# Debian 12's QEMU 7.2 never calls. Skipped, with a line saying why, when
# the backports archive cannot be reached.
echo "=== build: the qemu suite on QEMU from bookworm-backports"
rm -f build/meson-logs/qemu-backports.json
if fbhost_fetch_qemu_backports "$top/build/qemu-backports"; then
	PATH="$top/build/qemu-backports/bin:$PATH" meson test -C build --no-rebuild --print-errorlogs \
		--num-processes 2 --suite qemu --logbase qemu-backports || status=1
fi

echo "=== build-bench (--buildtype=release) build only"
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench >/dev/null || { echo "build failed in build-bench"; ninja -C build-bench | tail -40; exit 1; }

# The summary, last: N passed, N failed. A meson test run that failed
# without a failed test in its log (meson itself broke) counts as a failure.
python3 - "$status" build build-asan build-tsan build-fuzz <<'PY'
import json, sys, os
passed = failed = skipped = 0
meson_status = int(sys.argv[1])
logs = [os.path.join(d, "meson-logs", "testlog.json") for d in sys.argv[2:]]
logs.append(os.path.join("build", "meson-logs", "qemu-backports.json"))
for log in logs:
    if not os.path.exists(log):
        continue
    d = os.path.dirname(os.path.dirname(log))
    for line in open(log):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            print("FAILED:", d, json.loads(line).get("name"))
if meson_status and not failed:
    print("FAILED: meson test exited non-zero with no failed test in its logs")
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
