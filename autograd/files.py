"""Writing files so that a crash never leaves half of one behind."""
import os
import secrets


def write_atomically(path, data):
    """Write `data` (str or bytes) to `path` through a temporary file beside it, flushed to disk
    and then renamed over `path`: at any moment there is the old file or the new one, whole.
    A new file gets the usual permissions (0666 less the umask); a replaced one keeps its own."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
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
