#!/usr/bin/python3
"""lazyfs: a FUSE file system that loses every write not made durable by fsync when it "crashes".

    /usr/bin/python3 jepsen/lazyfs.py BACKING_DIR MOUNTPOINT

A pass-through to BACKING_DIR, except that file data written through the mount stays in this
process (an overlay of 4 KiB pages per file) until the file is fsynced (fsync, fdatasync, or msync
of a shared mapping, which the kernel turns into writes + fsync). BACKING_DIR therefore always
holds exactly what a power loss would leave. Metadata operations (create, rename, unlink, mkdir)
go through at once (as on a journaling file system that commits metadata eagerly).

Looking up the name /.lazyfs-crash (e.g. `stat MOUNTPOINT/.lazyfs-crash`) is the crash (a signal
would wait for the main thread, which sits in libfuse's loop): every unsynced page is dropped and from then on writes and syncs are
ignored (the kernel may still write back dirty pages of the killed process). The harness then
unmounts (fusermount -u), which ends this process, and mounts a fresh one over the same backing
directory. Page cache is used (no direct_io), so the broker's shared writable mmaps work.

Needs fusepy (Debian python3-fusepy, imported as `fusepy`; run with /usr/bin/python3) and fuse3.
"""

import errno
import os
import sys
import threading

try:
    import fusepy as fuse
except ImportError:  # pip's package name
    import fuse  # type: ignore

PAGE = 4096
CRASH_PATH = "/.lazyfs-crash"


class Overlay:
    def __init__(self, size):
        self.size = size  # logical size
        self.pages = {}  # page number -> bytearray(PAGE): current content of written pages


class LazyFS(fuse.Operations):
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self._mu = threading.RLock()
        self.overlays = {}  # path -> Overlay
        self.crashed = False
        self.stats = {"writes": 0, "syncs": 0, "dropped_pages": 0}

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    # ---- crash ---------------------------------------------------------------------------------
    def crash(self):
        with self._mu:
            self.crashed = True
            for ov in self.overlays.values():
                self.stats["dropped_pages"] += len(ov.pages)
            self.overlays.clear()
        sys.stderr.write("lazyfs: crash: dropped %d unsynced page(s)\n" % self.stats["dropped_pages"])
        sys.stderr.flush()

    # ---- helpers -------------------------------------------------------------------------------
    def _backing_size(self, path):
        try:
            return os.lstat(self._full(path)).st_size
        except OSError:
            return 0

    def _base_page(self, fd, n):
        data = os.pread(fd, PAGE, n * PAGE)
        page = bytearray(PAGE)
        page[: len(data)] = data
        return page

    def _flush(self, path, fd):
        ov = self.overlays.pop(path, None)
        if ov is None:
            return
        for n, page in sorted(ov.pages.items()):
            start = n * PAGE
            if start >= ov.size:
                continue
            os.pwrite(fd, bytes(page[: min(PAGE, ov.size - start)]), start)
        os.ftruncate(fd, ov.size)

    # ---- file data -----------------------------------------------------------------------------
    def getattr(self, path, fh=None):
        if path == CRASH_PATH:
            self.crash()
            raise fuse.FuseOSError(errno.ENOENT)
        st = os.lstat(self._full(path))
        attrs = {
            k: getattr(st, k)
            for k in ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")
        }
        with self._mu:
            ov = self.overlays.get(path)
            if ov is not None:
                attrs["st_size"] = ov.size
        attrs["st_blocks"] = (attrs["st_size"] + 511) // 512
        return attrs

    def open(self, path, flags):
        flags &= ~(os.O_TRUNC | os.O_APPEND | os.O_CREAT | os.O_EXCL)
        if flags & os.O_ACCMODE == os.O_WRONLY:
            flags = (flags & ~os.O_ACCMODE) | os.O_RDWR
        return os.open(self._full(path), flags)

    def create(self, path, mode, fi=None):
        fd = os.open(self._full(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode)
        with self._mu:
            self.overlays.pop(path, None)
        return fd

    def read(self, path, size, offset, fh):
        with self._mu:
            ov = self.overlays.get(path)
            if ov is None:
                return os.pread(fh, size, offset)
            if offset >= ov.size:
                return b""
            size = min(size, ov.size - offset)
            out = bytearray(size)
            base = os.pread(fh, size, offset)
            out[: len(base)] = base
            first, last = offset // PAGE, (offset + size - 1) // PAGE
            for n in range(first, last + 1):
                page = ov.pages.get(n)
                if page is None:
                    continue
                ps = n * PAGE
                lo, hi = max(ps, offset), min(ps + PAGE, offset + size)
                out[lo - offset : hi - offset] = page[lo - ps : hi - ps]
            return bytes(out)

    def write(self, path, data, offset, fh):
        with self._mu:
            if self.crashed:
                return len(data)
            self.stats["writes"] += 1
            ov = self.overlays.get(path)
            if ov is None:
                ov = self.overlays[path] = Overlay(os.fstat(fh).st_size)
            durable = os.fstat(fh).st_size
            end = offset + len(data)
            pos = offset
            while pos < end:
                n = pos // PAGE
                ps = n * PAGE
                lo, hi = pos, min(ps + PAGE, end)
                page = ov.pages.get(n)
                if page is None:
                    chunk = data[lo - offset : hi - offset]
                    # Zeros past the durable end need no page (reads there give zeros anyway):
                    # keeps posix_fallocate's one-byte writes cheap.
                    if ps >= durable and not any(chunk):
                        pos = hi
                        continue
                    page = ov.pages[n] = self._base_page(fh, n) if ps < durable else bytearray(PAGE)
                page[lo - ps : hi - ps] = data[lo - offset : hi - offset]
                pos = hi
            ov.size = max(ov.size, end)
            return len(data)

    def truncate(self, path, length, fh=None):
        with self._mu:
            if self.crashed:
                return 0
            ov = self.overlays.get(path)
            if ov is None:
                ov = self.overlays[path] = Overlay(self._backing_size(path))
            ov.size = length
            for n in [n for n in ov.pages if n * PAGE >= length]:
                del ov.pages[n]
            last = ov.pages.get(length // PAGE)
            if last is not None:
                cut = length - (length // PAGE) * PAGE
                last[cut:] = bytes(PAGE - cut)
            elif length % PAGE and length // PAGE * PAGE < self._backing_size(path):
                # The durable page that holds the new end keeps its bytes past it until synced:
                # materialise it so that reads after the cut give zeros.
                fd = os.open(self._full(path), os.O_RDONLY)
                try:
                    page = self._base_page(fd, length // PAGE)
                finally:
                    os.close(fd)
                cut = length % PAGE
                page[cut:] = bytes(PAGE - cut)
                ov.pages[length // PAGE] = page
            return 0

    def fsync(self, path, datasync, fh):
        with self._mu:
            if self.crashed:
                return 0
            self.stats["syncs"] += 1
            self._flush(path, fh)
            os.fsync(fh)
            return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        # Unsynced data outlives the descriptor (it is in the "page cache" until a sync or crash).
        os.close(fh)
        return 0

    # ---- metadata: straight through ------------------------------------------------------------
    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise fuse.FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        return os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._full(path), uid, gid)

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def readlink(self, path):
        return os.readlink(self._full(path))

    def mknod(self, path, mode, dev):
        return os.mknod(self._full(path), mode, dev)

    def mkdir(self, path, mode):
        return os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._full(path))

    def unlink(self, path):
        with self._mu:
            self.overlays.pop(path, None)
        return os.unlink(self._full(path))

    def rename(self, old, new):
        with self._mu:
            os.rename(self._full(old), self._full(new))
            ov = self.overlays.pop(old, None)
            self.overlays.pop(new, None)
            if ov is not None:
                self.overlays[new] = ov
            prefix = old.rstrip("/") + "/"
            for p in [p for p in self.overlays if p.startswith(prefix)]:
                self.overlays[new.rstrip("/") + "/" + p[len(prefix) :]] = self.overlays.pop(p)
        return 0

    def symlink(self, name, target):
        return os.symlink(target, self._full(name))

    def link(self, target, name):
        return os.link(self._full(name), self._full(target))

    def utimens(self, path, times=None):
        return os.utime(self._full(path), times)

    def statfs(self, path):
        sv = os.statvfs(self._full(path))
        return {
            k: getattr(sv, k)
            for k in (
                "f_bavail",
                "f_bfree",
                "f_blocks",
                "f_bsize",
                "f_favail",
                "f_ffree",
                "f_files",
                "f_flag",
                "f_frsize",
                "f_namemax",
            )
        }

    def fsyncdir(self, path, datasync, fh):
        fd = os.open(self._full(path), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return 0


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: lazyfs.py BACKING_DIR MOUNTPOINT\n")
        return 2
    backing, mountpoint = sys.argv[1], sys.argv[2]
    fs = LazyFS(backing)
    # Page cache on (no direct_io: the broker maps its files shared and writable); attributes are
    # not cached, so sizes follow the overlay.
    fuse.FUSE(fs, mountpoint, foreground=True, nothreads=False, allow_other=True, attr_timeout=0,
              entry_timeout=0, max_write=131072)
    return 0


if __name__ == "__main__":
    sys.exit(main())
