#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/qemu/make-initramfs.sh OUT KERNEL - builds the Linux test guest's
# initramfs (newc cpio) from busybox-static and the DRM modules of KERNEL's
# version (virtio-gpu and bochs with their dependencies, from
# /lib/modules/VERSION), without network. /init mounts proc/sys/devtmpfs,
# loads the modules, prints FBHOST-GUEST-READY and runs a shell on the
# console (tty0). /bin/scroll SECONDS [RATE] prints numbered lines for that
# long, as fast as it can or RATE lines a second. /bin/guest-cursor X Y sets
# a hardware cursor (guest-cursor.c, built static here; skipped with a
# warning when that fails: only test-qemu-cursor needs it).
set -eu
out=$1
kernel=$2
ver=${kernel##*/vmlinuz-}
moddir=${FBHOST_QEMU_MODULES:-/lib/modules/$ver}
busybox=$(command -v busybox)
[ -f "$moddir/modules.dep" ] || { echo "make-initramfs: no $moddir/modules.dep" >&2; exit 1; }
[ -x /bin/busybox ] && busybox=/bin/busybox # busybox-static's

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for app in sh mount insmod echo cat sleep usleep setsid cttyhack date stty clear seq; do
	ln -s busybox "$root/bin/$app"
done

# Modules in load order: each one's dependencies first (modules.dep lists
# a module's direct and indirect dependencies, deepest last).
order=""
add_module() { # $1: path relative to moddir
	case " $order " in *" $1 "*) return ;; esac
	deps=$(grep "^$1:" "$moddir/modules.dep" | cut -d: -f2)
	for d in $(echo "$deps" | tr ' ' '\n' | tac); do
		add_module "$d"
	done
	order="$order $1"
}
for m in virtio-gpu bochs; do
	path=$(grep -o "^[^:]*/$m.ko[^:]*" "$moddir/modules.dep" | head -n1)
	[ -n "$path" ] || { echo "make-initramfs: no module $m" >&2; exit 1; }
	add_module "$path"
done
for m in kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko \
	kernel/drivers/virtio/virtio_pci.ko; do
	grep -q "^$m:" "$moddir/modules.dep" && add_module "$m"
done
: > "$root/modules.order"
for m in $order; do
	cp "$moddir/$m" "$root/lib/modules/"
	echo "${m##*/}" >> "$root/modules.order"
done

cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# Three passes: a module whose dependency came later in the list loads in
# the next one; loaded ones just fail again, quietly.
for pass in 1 2 3; do
	for m in $(cat /modules.order); do insmod /lib/modules/$m 2>/dev/null; done
done
sleep 1
clear
echo FBHOST-GUEST-READY
echo FBHOST-GUEST-READY > /dev/ttyS0
export PS1='# '
exec setsid cttyhack sh
INIT
cat > "$root/bin/scroll" <<'SCROLL'
#!/bin/sh
end=$(($(date +%s) + $1))
rate=${2:-0}
i=0
while [ "$(date +%s)" -lt "$end" ]; do
	echo "scroll line $i: the quick brown fox jumps over the lazy dog"
	i=$((i + 1))
	[ "$rate" -gt 0 ] && usleep $((1000000 / rate))
done
echo "SCROLL-DONE $i"
SCROLL
chmod 755 "$root/init" "$root/bin/scroll"
here=$(dirname "$0")
drm_cflags=$(pkg-config --cflags libdrm 2>/dev/null || echo -I/usr/include/libdrm)
# shellcheck disable=SC2086 # drm_cflags is a list of flags
if ! ${CC:-cc} -static -O2 $drm_cflags -o "$root/bin/guest-cursor" "$here/guest-cursor.c" \
	2>"$root/cc.log"; then
	echo "make-initramfs: guest-cursor not built: $(cat "$root/cc.log")" >&2
fi
rm -f "$root/cc.log"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
