"""Writing files so that a crash never leaves half of one behind."""
import os
import tempfile


def write_atomically(path, data):
    """Write `data` (str or bytes) to `path` through a temporary file beside it, flushed to disk
    and then renamed over `path`: at any moment there is the old file or the new one, whole."""
    folder = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(str(path))[1]
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
