"""write_atomically: whole files, usual permissions, nothing left behind, even after a kill."""
import os
import signal
import stat
import subprocess
import sys
import threading

import pytest

from autograd.files import check_writable, write_atomically

needs_posix = pytest.mark.skipif(os.name != "posix", reason="process ids and SIGKILL are POSIX")


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "a.txt"
        write_atomically(path, "hello")
        assert path.read_text() == "hello"
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    finally:
        os.umask(umask)


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["a.bin"]


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(path, 12345)  # neither str nor bytes
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


# -- temporaries: named by their writer, cleaned up once it is gone --

HANG_IN_FSYNC = """
import os, sys, time
from autograd.files import write_atomically

def hang(handle):
    print("writing", flush=True)
    time.sleep(120)

os.fsync = hang
write_atomically(sys.argv[1], "never finished")
"""


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def killed_mid_write(path):
    """Start a process that writes `path`, SIGKILL it mid-write, and return its pid."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    child = subprocess.Popen([sys.executable, "-c", HANG_IN_FSYNC, str(path)],
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=root))
    assert child.stdout.readline() == "writing\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    return child.pid


@pytest.fixture
def leftover(tmp_path):
    """A real temporary left by a writer killed mid-write: (its name, its writer's pid)."""
    pid = killed_mid_write(tmp_path / "a.txt")
    (name,) = temporaries(tmp_path)
    return name, pid


@needs_posix
def test_a_killed_writers_temporary_carries_its_pid_and_the_next_write_removes_it(
        tmp_path, leftover):
    name, pid = leftover
    assert name.startswith(".a.txt.") and f".{pid}." in name
    write_atomically(tmp_path / "a.txt", "whole")
    assert os.listdir(tmp_path) == ["a.txt"] and (tmp_path / "a.txt").read_text() == "whole"


@needs_posix
def test_only_stale_temporaries_of_the_same_file_on_this_host_are_removed(tmp_path, leftover):
    name, dead = leftover
    host = name.split(".")[-4]
    keep = [name.replace(f".{dead}.", f".{os.getpid()}."),  # alive: this process
            name.replace(".a.txt.", ".b.txt."),  # another file's
            name.replace(f".{host}.", ".00000000."),  # another host's
            ".a.txt.old-style.tmp"]  # not ours to judge
    for other in keep:
        (tmp_path / other).write_text("someone's")
    write_atomically(tmp_path / "a.txt", "whole")
    assert name not in temporaries(tmp_path)  # the dead writer's
    assert temporaries(tmp_path) == sorted(keep)


def test_a_live_writers_temporary_is_left_alone(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    started, release = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def slow_in_one_thread(handle):
        if threading.current_thread().name == "slow":
            started.set()
            release.wait(30)
        real_fsync(handle)

    monkeypatch.setattr(os, "fsync", slow_in_one_thread)
    slow = threading.Thread(target=write_atomically, args=(path, "slow"), name="slow")
    slow.start()
    assert started.wait(30)
    (name,) = temporaries(tmp_path)
    assert f".{os.getpid()}." in name
    write_atomically(path, "fast")  # the same process: its pid is alive
    assert temporaries(tmp_path) == [name] and path.read_text() == "fast"
    release.set()
    slow.join(30)
    assert os.listdir(tmp_path) == ["a.txt"] and path.read_text() == "slow"


def test_a_name_too_long_for_a_suffix_still_writes(tmp_path):
    path = tmp_path / ("n" * 250)
    write_atomically(path, "long")
    assert path.read_text() == "long" and os.listdir(tmp_path) == [path.name]


# -- paths that can never be written: a clear error before anything is written --

@pytest.mark.parametrize("where, error, words", [
    ("missing/a.txt", FileNotFoundError, "folder .*missing' does not exist"),
    ("missing/deeper/a.txt", FileNotFoundError, "does not exist"),
    ("folder", IsADirectoryError, "'folder': it is a folder"),
    ("folder/", IsADirectoryError, "names a folder"),
    ("new/", IsADirectoryError, "names a folder"),
    (".", IsADirectoryError, "it is a folder"),
    ("file/a.txt", NotADirectoryError, "file' is not a folder"),
    ("", FileNotFoundError, "the path is empty"),
])
def test_unwritable_paths_are_named_with_the_problem(tmp_path, monkeypatch, where, error, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("a file")
    with pytest.raises(error, match=words) as caught:
        write_atomically(where, "data")
    assert caught.value.errno is not None
    assert sorted(os.listdir(tmp_path)) == ["file", "folder"]  # nothing written or created
    assert os.listdir(tmp_path / "folder") == []


@needs_posix
def test_a_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root)")
        with pytest.raises(PermissionError, match="no permission to write in the folder"):
            write_atomically(locked / "a.txt", "data")
    finally:
        locked.chmod(0o700)


def test_check_writable_returns_the_path_as_text(tmp_path):
    assert check_writable(tmp_path / "a.txt") == str(tmp_path / "a.txt")
    assert check_writable(os.fsencode(tmp_path / "b.txt")) == str(tmp_path / "b.txt")
