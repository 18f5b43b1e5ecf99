"""Saving and loading models: exact round trips, atomic writes, clear errors on bad files."""
import fractions
import json
import os

import numpy as np
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
    with pytest.raises(ModelFileError, match="holds a .Neuron., not a MLP"):
        nn.MLP.from_file(tmp_path / "neuron.json")


# -- sizes are checked before anything is built --

@pytest.mark.parametrize("make", [
    lambda: nn.Neuron(5), lambda: nn.Neuron(3, bias=False), lambda: nn.Layer(4, 6),
    lambda: nn.Layer(2, 1, bias=False), lambda: nn.MLP(3, [4, 2]), lambda: nn.MLP(2, 7),
    lambda: nn.MLP(64, [32, 16, 10], bias=False),
])
def test_parameter_count_says_the_size_without_building(make):
    model = make()
    assert type(model).parameter_count(**model.config()) == len(model.parameters())


def test_a_tiny_file_declaring_a_huge_network_is_refused_before_building(model, tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "huge.json"
    model.save(path)
    document = json.loads(path.read_text())
    document["config"].update(nin=100000, nouts=[100000])
    document["parameters"] = {}
    path.write_text(json.dumps(document))
    assert path.stat().st_size < 300

    def building(*args, **kwargs):
        raise AssertionError("the file's network was being built")

    monkeypatch.setattr(nn.Neuron, "__init__", building)  # refused before building anything
    with pytest.raises(ModelFileError, match="more than the 1,000,000 parameters"):
        nn.MLP.from_file(path)


def test_the_config_must_imply_the_files_parameters(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())
    document["config"]["nouts"] = [5, 2]  # 32 parameters; the file holds 26
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match="has 32 parameters, but the file holds 26"):
        nn.MLP.from_file(path)


def test_a_module_that_cannot_say_its_size_is_not_built_from_a_file(tmp_path):
    class Scale(nn.Module):
        def __init__(self, n):
            self.w = [nn.Neuron(1) for _ in range(n)]

    nn.Neuron(1).save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text())
    (tmp_path / "m.json").write_text(json.dumps(dict(document, **{"class": "Scale"})))
    with pytest.raises(NotImplementedError, match="Scale does not say how many parameters"):
        Scale.from_file(tmp_path / "m.json")


# -- load_state_dict: any real number, nothing else --

@pytest.mark.parametrize("number", [np.float32(0.5), np.float64(-0.25), np.int64(3), np.int8(-2),
                                    np.float16(1.5), 7, 2.5, fractions.Fraction(1, 4)])
def test_load_state_dict_takes_any_real_number(number):
    model = nn.MLP(2, [2, 1], seed=0)
    model.load_state_dict({name: number for name in model.state_dict()})
    assert all(type(value) is float and value == float(number)
               for value in model.state_dict().values())


@pytest.mark.parametrize("number, words", [
    (True, "not a number"), (np.bool_(False), "not a number"), ("0.5", "not a number"),
    (None, "not a number"), ([0.5], "not a number"), (1 + 2j, "not a number"),
    (float("nan"), "not finite"), (np.float32("inf"), "not finite"), (-float("inf"), "not finite"),
    (10 ** 400, "beyond the range of a float"), (-10 ** 309, "beyond the range of a float"),
    (fractions.Fraction(10 ** 400, 3), "beyond the range of a float"),
])
def test_load_state_dict_refuses_what_is_not_a_finite_float(number, words):
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = dict(before, **{"layer1.neuron0.b": number})
    with pytest.raises(ModelFileError, match=words):
        model.load_state_dict(state)
    assert model.state_dict() == before


# -- saving where nothing can be written --

@pytest.mark.parametrize("where, error, words", [
    ("missing/m.json", FileNotFoundError, "does not exist"),
    ("a folder", IsADirectoryError, "it is a folder"),
])
def test_saving_where_no_file_can_be_written_names_the_path(model, tmp_path, where, error, words):
    (tmp_path / "a folder").mkdir()
    with pytest.raises(error, match=words) as caught:
        model.save(tmp_path / where)
    assert where in str(caught.value)
