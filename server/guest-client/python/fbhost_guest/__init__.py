# SPDX-License-Identifier: GPL-2.0-or-later
"""fbhost_guest: draw into an fbhost framebuffer from Python.

A pure-Python client of fbhost's attach protocol
(server/lib/attach/attach-protocol.md; the C library is fbhost-guest.h):
socket (SOCK_SEQPACKET, SCM_RIGHTS), mmap and struct; ctypes for the kernel's
write tracking (userfaultfd, Linux 6.7+). numpy is optional.

Tracking modes: DAMAGE (call damage() for what you drew; the default),
COMPARE (fbhost compares every frame: nothing to call), UFFD (the kernel
tracks your writes: nothing to call; falls back to COMPARE where the kernel
lacks it). The shared-log mode needs atomic bit operations that Python does
not have; use the C library for it.
"""

import ctypes
import errno
import mmap
import os
import select
import socket
import struct
import time

__all__ = ["attach", "Guest", "Event", "FbhostError", "DAMAGE", "LOG", "UFFD", "COMPARE",
           "X8R8G8B8"]

MAGIC = 0x41474246
VERSION = 1
MSG_MAX_BYTES = 4096
TIMEOUT_S = 5.0

DAMAGE, LOG, UFFD, COMPARE = 0, 1, 2, 3
TRACKING_NAMES = {DAMAGE: "damage", LOG: "log", UFFD: "uffd-wp", COMPARE: "compare"}
X8R8G8B8 = 0x20020888

# message types
HELLO, TRACK, MODE_ACK, MODE_REQUEST, DAMAGE_MSG, FRAME, CLIPBOARD_OUT = 1, 2, 3, 4, 5, 6, 7
WELCOME, MODE, TRACK_STATE, KEY, POINTER, CLIPBOARD_IN, RESIZE_REQUEST, ERROR = range(64, 72)

HDR = struct.Struct("=HHI")
HELLO_S = struct.Struct("=HHIII64s")
WELCOME_S = struct.Struct("=HHIIIIIQQQII")
MODE_S = struct.Struct("=HHIQIIIIQQII")
MODE_ACK_S = struct.Struct("=HHIQQ")
MODE_REQUEST_S = struct.Struct("=HHIIIII")
TRACK_S = struct.Struct("=HHIIIQQ")
TRACK_STATE_S = struct.Struct("=HHIIi256s")
RECT_S = struct.Struct("=iiii")
DAMAGE_HDR_S = struct.Struct("=HHIQII")
KEY_S = struct.Struct("=HHIII")
POINTER_S = struct.Struct("=HHIiiII")
RESIZE_S = struct.Struct("=HHIII")
ERROR_S = struct.Struct("=HHIiHH256s")
DAMAGE_MAX_RECTS = (MSG_MAX_BYTES - DAMAGE_HDR_S.size) // RECT_S.size
KERNEL_PAGE = 4096


class FbhostError(OSError):
    """fbhost refused something, or the connection failed."""


class Event:
    """One event: type is "key", "pointer", "clipboard", "resize", "mode",
    "tracking", "error" or "closed"; the other attributes depend on it."""

    def __init__(self, type, **kw):
        self.type = type
        self.__dict__.update(kw)

    def __repr__(self):
        return "Event(%r)" % self.__dict__


def _default_path():
    env = os.environ.get("FBHOST_GUEST_SOCKET")
    if env:
        return env
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and xdg.startswith("/") and os.path.isdir(xdg):
        return os.path.join(xdg, "fbhost-guest.sock")
    return "/tmp/fbhost-%d/fbhost-guest.sock" % os.getuid()


def _cstr(b):
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


class _Uffd:
    """userfaultfd in async write-protect mode, through ctypes (x86-64 and
    aarch64 syscall numbers; Linux 6.7+). Raises OSError where missing."""

    FEATURES = (1 << 15) | (1 << 12) | (1 << 13)  # WP_ASYNC, WP_HUGETLBFS_SHMEM, WP_UNPOPULATED
    UFFD_API = 0xAA
    # _IOWR(0xAA, nr, size)
    @staticmethod
    def _iowr(nr, size):
        return (3 << 30) | (size << 16) | (0xAA << 8) | nr

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        nr = {"x86_64": 323, "aarch64": 282}.get(os.uname().machine)
        if nr is None:
            raise OSError(errno.ENOTSUP, "userfaultfd: unknown architecture")
        self.fd = self.libc.syscall(nr, os.O_CLOEXEC | os.O_NONBLOCK | 1)  # UFFD_USER_MODE_ONLY
        if self.fd < 0:
            self.fd = self.libc.syscall(nr, os.O_CLOEXEC | os.O_NONBLOCK)
        if self.fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, "userfaultfd: " + os.strerror(e))
        api = (ctypes.c_uint64 * 3)(self.UFFD_API, self.FEATURES, 0)
        if self._ioctl(self._iowr(0x3F, 24), api) != 0 or \
                (api[1] & self.FEATURES) != self.FEATURES:
            os.close(self.fd)
            raise OSError(errno.ENOTSUP, "the kernel lacks userfaultfd WP_ASYNC (Linux < 6.7)")

    def _ioctl(self, req, arg):
        return self.libc.ioctl(self.fd, ctypes.c_ulong(req), ctypes.byref(arg))

    def protect(self, addr, length):
        reg = (ctypes.c_uint64 * 4)(addr, length, 2, 0)  # range, MODE_WP, ioctls out
        if self._ioctl(self._iowr(0x00, 32), reg) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "UFFDIO_REGISTER: " + os.strerror(e))
        wp = (ctypes.c_uint64 * 3)(addr, length, 1)  # range, MODE_WP
        if self._ioctl(self._iowr(0x06, 24), wp) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "UFFDIO_WRITEPROTECT: " + os.strerror(e))

    def close(self):
        os.close(self.fd)


def _map_address(m):
    """The address of an mmap object (for the kernel tracker)."""
    buf = (ctypes.c_char * 1).from_buffer(m)
    addr = ctypes.addressof(buf)
    del buf
    return addr


class Guest:
    """An attached framebuffer. Use attach() to make one."""

    def __init__(self, path=None, fb="0"):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.queue = []
        self.map = None
        self.tracking = DAMAGE
        self.uffd = None
        self.pending = []
        path = path or _default_path()
        try:
            self.sock.connect(path)
        except OSError as e:
            raise FbhostError(e.errno, "%s: %s" % (path, e.strerror)) from None
        name = str(fb).encode()[:63]
        self._send(HELLO_S.pack(HELLO, 0, HELLO_S.size, MAGIC, VERSION, name))
        data, fds = self._wait(WELCOME, HELLO)
        (_, _, _, _, _, self.fb_id, self.page_bytes, self.log_pages, self.log_bytes,
         self.max_bytes, self.max_side, _) = WELCOME_S.unpack(data)
        for fd in fds:
            os.close(fd)  # the shared log: not usable from Python (no atomics)
        data, fds = self._wait(MODE, HELLO)
        self._take_mode(data, fds)

    # ---- plumbing ----------------------------------------------------------

    def _send(self, data, fds=()):
        if fds:
            socket.send_fds(self.sock, [data], list(fds))
        else:
            self.sock.send(data)

    def _recv(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        data, fds, _, _ = socket.recv_fds(self.sock, MSG_MAX_BYTES, 4)
        if not data:
            return b"", []
        if len(data) < HDR.size or HDR.unpack_from(data)[2] != len(data):
            for fd in fds:
                os.close(fd)
            raise FbhostError(errno.EBADMSG, "malformed message from fbhost")
        return data, fds

    def _wait(self, want, about):
        end = time.monotonic() + TIMEOUT_S
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise FbhostError(errno.ETIMEDOUT, "no answer from fbhost")
            got = self._recv(left)
            if got is None:
                continue
            data, fds = got
            if not data:
                raise FbhostError(errno.ECONNRESET, "fbhost closed the connection")
            mtype = HDR.unpack_from(data)[0]
            if mtype == want:
                return data, fds
            if mtype == ERROR and len(data) == ERROR_S.size:
                _, _, _, code, e_about, fatal, text = ERROR_S.unpack(data)
                if fatal or e_about == about:
                    raise FbhostError(code, "fbhost: " + _cstr(text))
            self.queue.append((data, fds))

    def _take_mode(self, data, fds):
        (_, _, _, gen, w, h, stride, fmt, nbytes, map_bytes, reason, _) = MODE_S.unpack(data)
        if not fds or stride < w * 4 or stride * h > map_bytes:
            raise FbhostError(errno.EBADMSG, "MODE without a usable memory")
        length = (map_bytes + KERNEL_PAGE - 1) // KERNEL_PAGE * KERNEL_PAGE
        m = mmap.mmap(fds[0], length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        for fd in fds:
            os.close(fd)
        addr = 0
        if self.uffd:
            addr = _map_address(m)
            self.uffd.protect(addr, length)
        self._send(MODE_ACK_S.pack(MODE_ACK, 0, MODE_ACK_S.size, gen, addr))
        if self.map is not None:
            try:
                self.map.close()
            except BufferError:
                pass  # views still held by the caller keep it alive
        self.map = m
        self.width, self.height, self.stride, self.format, self.generation = \
            w, h, stride, fmt, gen
        self.pending = []
        return reason

    # ---- drawing -----------------------------------------------------------

    def pixels(self):
        """A memoryview of the pixels as uint32 rows: px[y, x] (x8r8g8b8:
        0x00RRGGBB). Valid until the next "mode" event."""
        return memoryview(self.map)[:self.stride * self.height].cast(
            "I", (self.height, self.stride // 4))

    def array(self):
        """The pixels as a numpy array (height x width, uint32), when numpy is
        installed."""
        import numpy
        a = numpy.frombuffer(self.map, dtype=numpy.uint32,
                             count=self.stride // 4 * self.height)
        return a.reshape(self.height, self.stride // 4)[:, :self.width]

    def fill(self, x, y, w, h, rgb):
        """Fills a rectangle (clipped) with 0x00RRGGBB, a row at a time."""
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        row = struct.pack("=I", rgb) * (x1 - x0)
        for yy in range(y0, y1):
            off = yy * self.stride + x0 * 4
            self.map[off:off + len(row)] = row
        self.damage(x0, y0, x1 - x0, y1 - y0)

    def damage(self, x, y, w, h):
        """Reports a drawn rectangle (DAMAGE tracking; a no-op otherwise)."""
        if self.tracking != DAMAGE:
            return
        self.pending.append((x, y, w, h))
        if len(self.pending) == DAMAGE_MAX_RECTS:
            self._flush()

    def _flush(self):
        if not self.pending:
            return
        n = len(self.pending)
        msg = DAMAGE_HDR_S.pack(DAMAGE_MSG, 0, DAMAGE_HDR_S.size + n * RECT_S.size,
                                self.generation, n, 0)
        msg += b"".join(RECT_S.pack(*r) for r in self.pending)
        self.pending = []
        self._send(msg)

    def frame_done(self):
        """Sends queued damage and asks fbhost to show the frame now."""
        self._flush()
        self._send(HDR.pack(FRAME, 0, HDR.size))

    def set_tracking(self, mode, frames=False):
        """Asks for a tracking mode; returns the one in force. frames=True
        promises frame_done() after every frame, so fbhost need not poll."""
        if self.uffd:
            self.uffd.close()
            self.uffd = None
        fds, addr = [], 0
        if mode == UFFD:
            try:
                self.uffd = _Uffd()
                addr = _map_address(self.map)
                self.uffd.protect(addr, len(self.map))
                fds = [os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)]
            except OSError:
                if self.uffd:
                    self.uffd.close()
                self.uffd = None
                mode = COMPARE
        elif mode == LOG:
            raise FbhostError(errno.ENOTSUP, "the shared log needs atomics: use the C library")
        try:
            self._send(TRACK_S.pack(TRACK, 0, TRACK_S.size, mode, 1 if frames else 0,
                                    self.generation, addr), fds)
        finally:
            for fd in fds:
                os.close(fd)
        data, fds = self._wait(TRACK_STATE, TRACK)
        _, _, _, self.tracking, err, text = TRACK_STATE_S.unpack(data)
        if self.tracking != UFFD and self.uffd:
            self.uffd.close()
            self.uffd = None
        self.pending = []
        return self.tracking

    def request_mode(self, width, height, fmt=0):
        """Asks for a new mode; a "mode" event (or an "error") answers."""
        self._send(MODE_REQUEST_S.pack(MODE_REQUEST, 0, MODE_REQUEST_S.size, width, height,
                                       fmt, 0))

    def send_clipboard(self, text):
        data = text.encode("utf-8")
        if len(data) > MSG_MAX_BYTES - HDR.size:
            raise FbhostError(errno.E2BIG, "clipboard text too long")
        self._send(HDR.pack(CLIPBOARD_OUT, 0, HDR.size + len(data)) + data)

    def fileno(self):
        return self.sock.fileno()

    # ---- events ------------------------------------------------------------

    def next_event(self, timeout=None):
        """The next event, or None after timeout seconds (None: wait)."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.queue:
                data, fds = self.queue.pop(0)
            else:
                left = None if end is None else max(0.0, end - time.monotonic())
                got = self._recv(left)
                if got is None:
                    return None
                data, fds = got
                if not data:
                    return Event("closed")
            ev = self._event_of(data, fds)
            if ev:
                return ev

    def _event_of(self, data, fds):
        mtype = HDR.unpack_from(data)[0]
        if mtype == MODE:
            return Event("mode", reason=self._take_mode(data, fds))
        for fd in fds:
            os.close(fd)
        if mtype == KEY and len(data) == KEY_S.size:
            _, _, _, keysym, down = KEY_S.unpack(data)
            return Event("key", keysym=keysym, down=bool(down))
        if mtype == POINTER and len(data) == POINTER_S.size:
            _, _, _, x, y, buttons, _ = POINTER_S.unpack(data)
            return Event("pointer", x=x, y=y, buttons=buttons)
        if mtype == CLIPBOARD_IN:
            return Event("clipboard", text=data[HDR.size:].decode("utf-8", "replace"))
        if mtype == RESIZE_REQUEST and len(data) == RESIZE_S.size:
            _, _, _, w, h = RESIZE_S.unpack(data)
            return Event("resize", width=w, height=h)
        if mtype == TRACK_STATE and len(data) == TRACK_STATE_S.size:
            self.tracking = TRACK_STATE_S.unpack(data)[3]
            return Event("tracking", mode=self.tracking)
        if mtype == ERROR and len(data) == ERROR_S.size:
            _, _, _, code, about, fatal, text = ERROR_S.unpack(data)
            return Event("error", code=code, fatal=bool(fatal), text=_cstr(text))
        return None

    def close(self):
        """Detaches (the framebuffer keeps its picture)."""
        if self.uffd:
            self.uffd.close()
            self.uffd = None
        self.sock.close()
        if self.map is not None:
            try:
                self.map.close()
            except BufferError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def attach(path=None, fb="0"):
    """Attaches framebuffer fb (name or id) over the attach socket at path
    (None: $FBHOST_GUEST_SOCKET or fbhost's default)."""
    return Guest(path, fb)
