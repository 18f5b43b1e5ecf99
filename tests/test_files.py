"""write_atomically: whole files, usual permissions, nothing left behind."""
import os
import stat

import pytest

from autograd.files import write_atomically


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
