"""Writing files so that a crash never leaves half of one behind.

A file is written to a temporary beside it, `.NAME.HOST.PID.RANDOM.tmp`, then renamed over it.
A process killed mid-write (SIGKILL, power cut) leaves its temporary behind; the name says which
process on which host wrote it, so the next write to the same file removes temporaries whose
writer is gone, and never one that a live process is still writing.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import socket
from contextlib import suppress

# A temporary's name adds about 40 bytes to the target's; file systems allow 255 bytes a name.
LONGEST_NAME_KEPT = 200


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` (str or bytes) to `path` through a temporary file beside it, flushed to disk
    and then renamed over `path`: at any moment there is the old file or the new one, whole.
    A new file gets the usual permissions (0666 less the umask); a replaced one keeps its own.

    A path that can never be written (a folder, a missing folder) raises an OSError naming it
    before anything is written."""
    path = check_writable(path)
    folder, name = os.path.split(os.path.abspath(path))
    _remove_stale_temporaries(folder, name)
    temporary = os.path.join(folder, f"{_temporary_prefix(name)}{_host_tag()}.{os.getpid()}."
                                     f"{secrets.token_hex(4)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def check_writable(path: str | os.PathLike[str]) -> str:
    """`path` as a str if a file could be written there; otherwise an OSError that names the
    path and says why (empty, a folder, no such folder, a folder we may not write to)."""
    path = os.fsdecode(path)
    if not path:
        raise FileNotFoundError(errno.ENOENT, "cannot write a file: the path is empty")
    if path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        raise IsADirectoryError(errno.EISDIR, f"cannot write {path!r}: it names a folder")
    if os.path.isdir(path) and not os.path.islink(path):  # a link is replaced, not followed
        raise IsADirectoryError(errno.EISDIR, f"cannot write {path!r}: it is a folder")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise NotADirectoryError(errno.ENOTDIR, f"cannot write {path!r}: {folder!r} is "
                                                    f"not a folder")
        raise FileNotFoundError(errno.ENOENT, f"cannot write {path!r}: the folder {folder!r} "
                                              f"does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"cannot write {path!r}: no permission to write "
                                            f"in the folder {folder!r}")
    return path


def _remove_stale_temporaries(folder, name):
    """Remove the temporaries of `folder/name` left by writers on this host that have died."""
    pattern = re.compile(re.escape(_temporary_prefix(name) + _host_tag())
                         + r"\.([1-9][0-9]{0,9})\.[0-9a-f]{8}\.tmp")
    with os.scandir(folder) as entries:
        stale = [entry.path for entry in entries
                 if (match := pattern.fullmatch(entry.name))
                 and not _process_is_alive(int(match.group(1)))]
    for temporary in stale:
        with suppress(OSError):  # another writer may have removed it first
            os.remove(temporary)


def _temporary_prefix(name):
    """`.NAME.`; a name too long to take the suffix is replaced by a hash of it."""
    if len(os.fsencode(name)) > LONGEST_NAME_KEPT:
        name = hashlib.sha256(os.fsencode(name)).hexdigest()[:32]
    return f".{name}."


def _host_tag():
    """Eight hex digits for this host: a process id means something only on its own host."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _process_is_alive(pid):
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows: assume alive
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    except OverflowError:  # beyond any process id
        return False
    return True
