"""A disk spool for the transport: events survive a crash of the process that made them, and it
holds what the memory buffer cannot (with a spool, the spool *is* the buffer, up to ``max_bytes``).

On disk: a folder of segment files (``<number>.jsonl``, one event's wire JSON per line) and a
``lock`` file held with ``flock`` by the owning process (the kernel releases it when the process
dies, so a crashed owner never strands the folder). Each event is written with one ``write(2)``
before it counts as buffered: in the page cache, it survives the process being killed at any
point. ``fdatasync`` runs every ``sync_interval`` seconds while there are unsynced writes, and at
every segment change; a power loss costs at most that window. A new process reads the segments
it finds (cutting a torn last line off), never appends to them, and sends them before its own
events. Delivery is at least once: the collector answers a repeated event id ``duplicate``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import List, Optional, Tuple

__all__ = ["FileSpool", "SpoolInUse"]

_SEGMENT = re.compile(r"^(\d{12})\.jsonl$")


class SpoolInUse(RuntimeError):
    """Another live process owns the spool folder."""


class _Segment:
    __slots__ = ("path", "count", "taken", "settled", "bytes", "read_pos")

    def __init__(self, path: str, count: int = 0, size: int = 0) -> None:
        self.path = path
        self.count = count  # events in it
        self.taken = 0  # of which handed to the transport
        self.settled = 0  # of which delivered or refused for good
        self.bytes = size
        self.read_pos = 0


class FileSpool:
    """A disk spool in one folder; pass it to the client.

    Raises at construction only (the folder cannot be created, or a live process owns it), so a
    misconfigured spool shows at start-up rather than as drops.

    Example::

        st = Seamtrace(spool=FileSpool("./.seamtrace-spool"))
    """

    def __init__(self, dir: str, max_bytes: int = 64 * 1024 * 1024, segment_events: int = 1000, sync_interval: float = 1.0) -> None:
        self.dir = os.path.abspath(dir)
        self.max_bytes = max_bytes if max_bytes > 0 else 64 * 1024 * 1024
        self.segment_events = segment_events if segment_events > 0 else 1000
        self.sync_interval = max(0.0, sync_interval)
        self._lock = threading.Lock()
        self._segments: List[_Segment] = []
        self._active: Optional[Tuple[_Segment, int]] = None
        self._next = 0
        self._bytes = 0
        self._dirty_since: Optional[float] = None
        self._dir_dirty = False
        self._closed = False
        os.makedirs(self.dir, exist_ok=True)
        self._lock_fd = _take_lock(os.path.join(self.dir, "lock"))
        for name in sorted(os.listdir(self.dir)):
            m = _SEGMENT.match(name)
            if not m:
                continue
            path = os.path.join(self.dir, name)
            count, size = _scan(path)
            self._next = int(m.group(1)) + 1
            if count == 0:
                os.unlink(path)
                continue
            self._segments.append(_Segment(path, count, size))
            self._bytes += size

    @property
    def size(self) -> int:
        """Bytes the spool holds on disk."""
        return self._bytes

    @property
    def pending(self) -> int:
        """Events stored and not yet settled."""
        return sum(s.count - s.settled for s in self._segments)

    def untaken(self) -> int:
        """Events stored and not yet handed to the transport."""
        return sum(s.count - s.taken for s in self._segments)

    def append(self, line: str) -> bool:
        """Stores one event's wire JSON. False when the spool is full (the event is dropped)."""
        data = (line + "\n").encode("utf-8")
        with self._lock:
            if self._closed or self._bytes + len(data) > self.max_bytes:
                return False
            if self._active is None or self._active[0].count >= self.segment_events:
                self._roll()
            assert self._active is not None
            segment, fd = self._active
            view = memoryview(data)
            while view:  # regular files take the whole buffer in one write; the loop is for the rule
                view = view[os.write(fd, view):]
            segment.count += 1
            segment.bytes += len(data)
            self._bytes += len(data)
            if self.sync_interval == 0:
                os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
            elif self._dirty_since is None:
                self._dirty_since = time.monotonic()
        return True

    def take(self, max_events: int, max_bytes: int) -> List[str]:
        """The next events not yet handed out, oldest first, up to the limits (one at least)."""
        out: List[str] = []
        total = 0
        with self._lock:
            for segment in self._segments:
                if segment.taken >= segment.count:
                    continue
                with open(segment.path, "rb") as f:
                    f.seek(segment.read_pos)
                    while segment.taken < segment.count and len(out) < max_events:
                        raw = f.readline()
                        if not raw.endswith(b"\n"):
                            segment.taken = segment.count  # cannot happen after _scan; never loop on it
                            break
                        if not _looks_like_event(raw):
                            segment.read_pos += len(raw)
                            continue
                        if out and total + len(raw) > max_bytes:
                            return out
                        segment.read_pos += len(raw)
                        segment.taken += 1
                        total += len(raw)
                        out.append(raw[:-1].decode("utf-8", "replace"))
                if len(out) >= max_events:
                    break
        return out

    def ack(self, count: int) -> None:
        """The oldest ``count`` events handed out are settled: forget them."""
        with self._lock:
            while count > 0 and self._segments:
                segment = self._segments[0]
                n = min(count, segment.taken - segment.settled)
                if n <= 0:
                    break
                segment.settled += n
                count -= n
                if segment.settled < segment.count:
                    break
                self._remove(segment)

    def sync_if_due(self, now: Optional[float] = None) -> None:
        """Flushes unsynced writes to the device once they are ``sync_interval`` old."""
        with self._lock:
            if self._dirty_since is not None and (now if now is not None else time.monotonic()) - self._dirty_since >= self.sync_interval:
                self._sync()

    def close(self) -> None:
        """Syncs and lets go of the folder; what is still stored is sent by the next process."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._sync()
            if self._active is not None:
                os.close(self._active[1])
                self._active = None
            try:
                os.close(self._lock_fd)  # releases the flock
            except OSError:
                pass

    def release_after_fork(self) -> None:
        """In a forked child: let go of the inherited descriptors without touching the files, so
        the folder stays the parent's and is free once the parent lets go (a flock is held until
        every copy of its descriptor is closed)."""
        self._lock = threading.Lock()
        self._closed = True
        for fd in (self._lock_fd, self._active[1] if self._active else None):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._active = None

    def _sync(self) -> None:
        if self._dirty_since is not None and self._active is not None:
            fd = self._active[1]
            os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
        self._dirty_since = None
        if self._dir_dirty and hasattr(os, "O_DIRECTORY"):
            fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._dir_dirty = False

    def _roll(self) -> None:
        if self._active is not None:
            self._sync()  # segments reach the disk in order
            os.close(self._active[1])
        path = os.path.join(self.dir, "%012d.jsonl" % self._next)
        self._next += 1
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        segment = _Segment(path)
        self._segments.append(segment)
        self._active = (segment, fd)
        self._dir_dirty = True

    def _remove(self, segment: _Segment) -> None:
        if self._active is not None and self._active[0] is segment:
            os.close(self._active[1])
            self._active = None
            self._dirty_since = None
        try:
            os.unlink(segment.path)
        except FileNotFoundError:
            pass
        self._segments.remove(segment)
        self._bytes -= segment.bytes
        self._dir_dirty = True


def _looks_like_event(raw: bytes) -> bool:
    line = raw.rstrip(b"\n")
    return line.startswith(b"{") and line.endswith(b"}")


def _scan(path: str) -> Tuple[int, int]:
    """(events, bytes) of a segment an earlier process left; a torn last line is cut off, so every
    line left ends in a newline."""
    with open(path, "rb") as f:
        data = f.read()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
        data = data[:end]
    count = sum(1 for line in data.split(b"\n")[:-1] if _looks_like_event(line))
    return count, len(data)


def _take_lock(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            os.close(fd)
            raise SpoolInUse(f"spool folder {os.path.dirname(path)} is in use by another process") from None
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        except OSError:
            owner = "?"
        os.close(fd)
        raise SpoolInUse(f"spool folder {os.path.dirname(path)} is in use by process {owner or '?'}") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    return fd
