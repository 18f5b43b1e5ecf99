"""Saving and loading models: exact round trips, atomic writes, clear errors on bad files."""
import json
import os

import pytest

import nn
from nn import ModelFileError


@pytest.fixture
def model():
    return nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=11)


def test_round_trip_is_exact(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    copy = nn.MLP.from_file(path)
    assert copy.state_dict() == model.state_dict()
    assert copy.config() == model.config()
    x = [0.1, -0.4, 2.0]
    assert [o.data for o in copy(x)] == [o.data for o in model(x)]
    other = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=12)
    other.load(path)
    assert other.state_dict() == model.state_dict()


def test_the_file_is_plain_json(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "chainrule-model" and document["class"] == "MLP"
    assert document["config"]["nouts"] == [4, 2]


def test_saving_replaces_atomically_and_leaves_no_temporary_files(model, tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old contents")
    model.save(path)
    assert json.loads(path.read_text())["class"] == "MLP"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_failed_write_keeps_the_old_file(model, tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    changed = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=99)
    with pytest.raises(OSError, match="disk full"):
        changed.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def corrupt(path, how):
    text = path.read_text()
    document = json.loads(text)
    if how == "truncated":
        path.write_text(text[: len(text) // 2])
    elif how == "not json":
        path.write_bytes(b"\x00\x01garbage")
    elif how == "other format":
        path.write_text(json.dumps({"hello": 1}))
    elif how == "a string weight":
        key = next(iter(document["parameters"]))
        document["parameters"][key] = "0.5"
        path.write_text(json.dumps(document))
    elif how == "a missing weight":
        document["parameters"].pop(next(iter(document["parameters"])))
        path.write_text(json.dumps(document))
    elif how == "nan weight":
        key = next(iter(document["parameters"]))
        document["parameters"][key] = float("nan")
        path.write_text(json.dumps(document))
    elif how == "future version":
        document["version"] = 99
        path.write_text(json.dumps(document))


@pytest.mark.parametrize("how, words", [
    ("truncated", "truncated or corrupted"), ("not json", "truncated or corrupted"),
    ("other format", "not a chainrule model file"), ("a string weight", "not a number"),
    ("a missing weight", "missing"), ("nan weight", "not finite"), ("future version", "version 99"),
])
def test_bad_files_fail_clearly_and_leave_the_model_untouched(model, tmp_path, how, words):
    path = tmp_path / "model.json"
    model.save(path)
    corrupt(path, how)
    target = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=5)
    before = target.state_dict()
    with pytest.raises(ModelFileError, match=words):
        target.load(path)
    assert target.state_dict() == before
    with pytest.raises(ModelFileError):
        nn.MLP.from_file(path)


def test_a_file_for_another_architecture(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    smaller = nn.MLP(3, [2, 2], seed=0)
    before = smaller.state_dict()
    with pytest.raises(ModelFileError, match="not this MLP"):
        smaller.load(path)
    assert smaller.state_dict() == before


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        nn.MLP.from_file(tmp_path / "nowhere.json")


def test_a_diverged_model_is_not_saved(model, tmp_path):
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="diverge"):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_neuron_and_layer_save_too(tmp_path):
    layer = nn.Layer(2, 3, activation="tanh", seed=1)
    layer.save(tmp_path / "layer.json")
    assert nn.Layer.from_file(tmp_path / "layer.json").state_dict() == layer.state_dict()
    neuron = nn.Neuron(4, bias=False, seed=1)
    neuron.save(tmp_path / "neuron.json")
    assert nn.Neuron.from_file(tmp_path / "neuron.json").state_dict() == neuron.state_dict()
    with pytest.raises(ModelFileError, match="holds a Neuron"):
        nn.MLP.from_file(tmp_path / "neuron.json")
