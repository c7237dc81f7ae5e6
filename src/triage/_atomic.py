"""Write a file so that readers see the old content or the new one, never half of it.

A regular file is written to a temporary file beside it, then renamed over it;
the temporary file's name carries the writer's process id, so one left behind by
a process that was killed (SIGKILL, a power cut) is found and removed by the
next writer of the same file. A symbolic link is followed: the file it points to
is replaced and the link stays. A device or a named pipe (``/dev/null``,
``/dev/stdout``) is written straight through, since it cannot be replaced.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from triage.errors import OutputError

_STALE = r"^\.{name}\.(\d+)\.[^.]+\.tmp$"


def _mode_for(path: Path) -> int:
    """The existing file's permissions, or those a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files that dead writers of ``target`` left beside it.

    Returns
    -------
    list[Path]
        The files removed.
    """
    pattern = re.compile(_STALE.format(name=re.escape(target.name)))
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            try:
                os.unlink(target.parent / name)
            except OSError:
                continue
            removed.append(target.parent / name)
    return removed


class AtomicFile:
    """An output file that appears whole on :meth:`commit` or not at all.

    Parameters
    ----------
    path
        The file to write. A symbolic link is followed; a device or named pipe
        is written straight through (:attr:`direct`).
    binary
        Open the handle in binary mode; text is UTF-8 with ``\\n`` kept as is.
    make_parents
        Create missing parent folders; otherwise a missing folder is an error.

    Raises
    ------
    OSError
        The path is a folder, its folder is missing or not writable, or the
        temporary file cannot be made. :func:`write_error` words it for a user.
    """

    def __init__(self, path: str | Path, *, binary: bool = False, make_parents: bool = False):
        self.path = Path(path)
        self.tmp: str | None = None
        try:
            info = os.stat(self.path)  # follows links, /dev/stdout's included
        except FileNotFoundError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(self.path))
        self.direct = info is not None and not stat.S_ISREG(info.st_mode)
        mode = "wb" if binary else "w"
        kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
        if self.direct:
            self.target = self.path
            self.handle: IO[Any] = _open_direct(self.path, mode, kwargs)
            return
        target = self.target = Path(os.path.realpath(self.path))
        if make_parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        elif not target.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, f"no folder {target.parent}", str(self.path))
        remove_stale_temporaries(target)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
        try:
            os.chmod(self.tmp, _mode_for(target))
            self.handle = os.fdopen(fd, mode, **kwargs)
        except BaseException:
            os.close(fd)
            self.discard()
            raise

    def commit(self) -> None:
        """Flush the data to disk and put the file in place (a no-op after :meth:`discard`)."""
        if self.handle.closed and self.tmp is None:
            return
        try:
            self.handle.flush()
            if not self.direct:
                os.fsync(self.handle.fileno())
            self.handle.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.target)
                self.tmp = None
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop what was written; the file at :attr:`path` stays as it was."""
        try:
            self.handle.close()
        except (AttributeError, OSError):
            pass
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None

    def __enter__(self) -> IO[Any]:
        return self.handle

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _open_direct(target: Path, mode: str, kwargs: dict) -> IO[Any]:
    """Open a device or named pipe for writing, without waiting forever for a pipe's reader."""
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, "a named pipe that nothing reads", str(target)) from None
        raise
    os.set_blocking(fd, True)
    return os.fdopen(fd, mode, **kwargs)


def atomic_write(path: Path, write: Callable[[IO[Any]], None], *, binary: bool = False) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it over ``path``.

    Missing parent folders are created. On any failure the temporary file is
    removed and ``path`` is left as it was.
    """
    with AtomicFile(path, binary=binary, make_parents=True) as handle:
        write(handle)


def atomic_write_all(writes: Iterable[tuple[Path, Callable[[IO[Any]], None]]]) -> None:
    """Write several files so that either all of them change or none does.

    Every file is written and flushed to disk first; only then are they renamed
    into place, which needs no space. A failure before that (a full disk)
    leaves every file as it was.
    """
    files: list[AtomicFile] = []
    try:
        for path, write in writes:
            files.append(AtomicFile(path, make_parents=True))
            write(files[-1].handle)
            files[-1].handle.flush()
            os.fsync(files[-1].handle.fileno())
    except BaseException:
        for file in files:
            file.discard()
        raise
    for file in files:
        file.commit()


def write_error(path: str | Path, exc: OSError, *, fix: str) -> OutputError:
    """An :class:`OutputError` naming ``path``, what went wrong and ``fix``.

    ``fix`` says what to do when the place cannot be written (read-only,
    permissions, a full disk); other causes carry their own advice.
    """
    code = exc.errno
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        return OutputError(f"{path}: is a folder; give a file name in it, e.g. {Path(path) / 'out.jsonl'}")
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return OutputError(f"{path}: folder {Path(path).parent} does not exist; create it first or give another path")
    if code == errno.ENXIO:
        return OutputError(f"{path}: a named pipe that nothing reads; start its reader first")
    if code in (errno.ENOSPC, errno.EDQUOT):
        reason = "the disk is full"
    elif code == errno.EROFS:
        reason = "the file system is read-only"
    elif isinstance(exc, PermissionError):
        reason = "permission denied"
    else:
        reason = exc.strerror or str(exc)
    return OutputError(f"{path}: cannot be written ({reason}); {fix}")
