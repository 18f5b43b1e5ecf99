"""Hostile input against model files and the command line.

Every case ends in the right answer or in a clear error naming the problem (ModelFileError,
or argparse's one `prog: error:` line): never a traceback from deep inside, a hang, a wrong
number, a huge allocation or a lost file.
"""
import json
import os
import socket
import threading

import pytest

import nn
from nn import ModelFileError
from nn.__main__ import main

HOSTILE = "MLP\"'\n<script>alert(1)</script>\r\\u0000"


def make_model(seed=3):
    return nn.MLP(3, [4, 2], activation="tanh", seed=seed)


@pytest.fixture
def document(tmp_path):
    """The JSON document of a saved model, to corrupt."""
    make_model().save(tmp_path / "good.json")
    return json.loads((tmp_path / "good.json").read_text())


def refuse(path, words, load_too=True):
    """from_file and load both refuse the file with a one-line ModelFileError naming the path
    and the problem; load leaves the model as it was."""
    with pytest.raises(ModelFileError, match=words) as caught:
        nn.MLP.from_file(path)
    message = str(caught.value)
    assert repr(os.fsdecode(path)) in message
    assert "\n" not in message and len(message) < 1000
    if not load_too:
        return
    model = make_model(seed=5)
    before = model.state_dict()
    with pytest.raises(ModelFileError, match=words):
        model.load(path)
    assert model.state_dict() == before


def write(tmp_path, contents, name="bad.json"):
    path = tmp_path / name
    path.write_bytes(contents if isinstance(contents, bytes) else contents.encode())
    return path


# -- files that are not model files at all --

def with_number(document, text):
    """The document's text with its first parameter written as `text`."""
    name = next(iter(document["parameters"]))
    marker = dict(document, parameters=dict(document["parameters"], **{name: 123456789}))
    return json.dumps(marker).replace("123456789", text)


NOT_MODEL_FILES = [
    ("empty", lambda d: b"", "truncated or corrupted"),
    ("truncated", lambda d: json.dumps(d)[:100], "truncated or corrupted"),
    ("cut in a number", lambda d: json.dumps(d)[:-30], "truncated or corrupted"),
    ("binary garbage", lambda d: bytes(range(256)) * 4, "not UTF-8 text"),
    ("PNG", lambda d: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
    ("Latin-1 in a string", lambda d: json.dumps(d).encode().replace(b"tanh", b"t\xe4nh"),
     "not UTF-8 text"),
    ("UTF-16", lambda d: json.dumps(d).encode("utf-16"), "not UTF-8 text"),
    ("NUL bytes", lambda d: b"\x00" * 64, "truncated or corrupted"),
    ("a list", lambda d: "[1, 2, 3]", "not a chainrule model file"),
    ("a list of the document", lambda d: json.dumps([d]), "not a chainrule model file"),
    ("a number", lambda d: "42", "not a chainrule model file"),
    ("null", lambda d: "null", "not a chainrule model file"),
    ("a string", lambda d: '"chainrule-model"', "not a chainrule model file"),
    ("another JSON file", lambda d: '{"name": "package.json"}', "not a chainrule model file"),
    ("[ 100,000 deep", lambda d: "[" * 100_000, "nested too deeply"),
    ("[ ] 100,000 deep", lambda d: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("{ 100,000 deep", lambda d: '{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    ("nested 500 deep in the config",
     lambda d: json.dumps(d).replace('"nin": 3', '"nin": ' + "[" * 500 + "]" * 500),
     "nested too deeply"),
    ("an integer beyond float range", lambda d: with_number(d, "1" + "0" * 400),
     "beyond the range of a float"),
    ("a negative one", lambda d: with_number(d, "-" + "9" * 320), "beyond the range of a float"),
    ("5,000 digits", lambda d: with_number(d, "7" * 5000), "not a valid model file"),
    ("1e400", lambda d: with_number(d, "1e400"), "not finite"),
    ("NaN", lambda d: with_number(d, "NaN"), "not finite"),
    ("-Infinity", lambda d: with_number(d, "-Infinity"), "not finite"),
    ("a parameter twice",
     lambda d: json.dumps(d).replace('"parameters": {', '"parameters": {"layer1.neuron0.b": 9, '),
     "'layer1.neuron0.b' appears twice"),
    ("a top-level key twice", lambda d: json.dumps(d).replace('{"format"', '{"class": "MLP", '
                                                                         '"format"'),
     "'class' appears twice"),
]


@pytest.mark.parametrize("how, contents, words", NOT_MODEL_FILES,
                         ids=[case[0] for case in NOT_MODEL_FILES])
def test_files_that_are_not_model_files(tmp_path, document, how, contents, words):
    refuse(write(tmp_path, contents(document)), words)


# -- every field of the document with a wrong type or value --

def changed(document, key, value):
    document = json.loads(json.dumps(document))
    if value is REMOVED:
        document.pop(key)
    else:
        document[key] = value
    return document


REMOVED = object()
BAD_FIELDS = [
    ("format", value, "not a chainrule model file")
    for value in (None, 1, [], {}, "CHAINRULE-MODEL", "", REMOVED)
] + [
    ("version", value, "model file version .*this chainrule reads version 1")
    for value in ("1", True, None, 2, 0, -1, [1], {"v": 1}, REMOVED)
] + [
    ("class", value, "no valid 'class'") for value in (None, 3, ["MLP"], {}, REMOVED)
] + [
    ("class", value, "holds a .*, not (a|this) MLP")
    for value in ("mlp", "", "Neuron", HOSTILE, "M" * 10**6)
] + [
    ("config", value, "no valid 'config'") for value in (None, [], "nin=3", 3, REMOVED)
] + [
    ("parameters", value, "no valid 'parameters'") for value in (None, [], "w0=1", 0.5, REMOVED)
]


@pytest.mark.parametrize("key, value, words", BAD_FIELDS)
def test_every_field_of_the_document_with_a_wrong_type(tmp_path, document, key, value, words):
    refuse(write(tmp_path, json.dumps(changed(document, key, value))), words)


BAD_CONFIGS = [
    ("nin", value, "needs at least one input as nin")
    for value in ("3", 3.0, True, False, [3], 0, -3, None, {"n": 3})
] + [
    ("nin", 10**30, "more than the 1,000,000 parameters"),
    ("nin", 4, "has 30 parameters, but the file holds 26"),
    ("nouts", [4.0, 2], "needs at least one neuron as nout, got 4.0"),
    ("nouts", [True, 2], "needs at least one neuron as nout, got True"),
    ("nouts", [[4], 2], "needs at least one neuron as nout, got \\[4\\]"),
    ("nouts", [-4, 2], "needs at least one neuron as nout, got -4"),
    ("nouts", [4, 0], "needs at least one neuron as nout, got 0"),
    ("nouts", "42", "a list of whole numbers, got '42'"),
    ("nouts", [], "at least one layer"),
    ("nouts", None, "a list of whole numbers, got None"),
    ("nouts", 4, "has 16 parameters, but the file holds 26"),
    ("nouts", [100000, 100000], "more than the 1,000,000 parameters"),
    ("nouts", [1] * 100000, "has 200002 parameters, but the file holds 26"),
    ("bias", "yes", "bias is True or False, got 'yes'"),
    ("bias", 1, "bias is True or False, got 1"),
    ("bias", None, "bias is True or False"),
    ("activation", None, "unknown activation None"),
    ("activation", "TANH", "unknown activation 'TANH'"),
    ("activation", HOSTILE, "unknown activation"),
    ("activation", ["tanh"], "unhashable"),
    ("output_activation", 3, "unknown output activation 3"),
    ("init", "zeros", "unknown initialisation 'zeros'"),
    ("init", {}, "unhashable"),
    ("seed", 5, "'seed' is 5 in the file, but absent in the MLP built from it"),
    ("fan_out", -3, "unexpected keyword argument 'fan_out'"),
    ("nonlin", False, "unexpected keyword argument 'nonlin'"),
    ("cls", 1, "multiple values"),
    ("init", REMOVED, "'init' is absent in the file, but 'uniform'"),
    ("nin", REMOVED, "missing 1 required positional argument: 'nin'"),
    ("nouts", REMOVED, "missing 1 required positional argument: 'nouts'"),
]


@pytest.mark.parametrize("key, value, words", BAD_CONFIGS)
def test_every_config_value_with_a_wrong_type(tmp_path, document, key, value, words):
    original = document["config"]
    document["config"] = changed(original, key, value)
    path = write(tmp_path, json.dumps(document))
    # load compares the file's config with its own model's: 3.0 == 3 is the same architecture
    same = document["config"] == original
    refuse(path, words + "|not this MLP", load_too=not same)
    if same:
        assert make_model(seed=5).load(path).state_dict() == document["parameters"]


def test_a_neuron_config_that_would_divide_by_zero(tmp_path):
    nn.Neuron(2, init="xavier").save(tmp_path / "n.json")
    document = json.loads((tmp_path / "n.json").read_text())
    document["config"]["fan_out"] = -2  # xavier divides by nin + fan_out
    path = write(tmp_path, json.dumps(document))
    with pytest.raises(ModelFileError, match="not valid: division by zero"):
        nn.Neuron.from_file(path)


BAD_PARAMETERS = [
    ("a string", lambda p, k: dict(p, **{k: "0.5"}), "not a number: '0.5'"),
    ("a bool", lambda p, k: dict(p, **{k: True}), "not a number: True"),
    ("null", lambda p, k: dict(p, **{k: None}), "not a number: None"),
    ("a list", lambda p, k: dict(p, **{k: [0.5]}), "not a number"),
    ("an object", lambda p, k: dict(p, **{k: {"value": 0.5}}), "not a number"),
    # from_file counts the parameters first; load names them
    ("one missing", lambda p, k: {n: v for n, v in p.items() if n != k},
     "file holds 25|missing \\['layer0.neuron0.w0'\\]"),
    ("one extra", lambda p, k: dict(p, extra=1.0), "file holds 27|unexpected \\['extra'\\]"),
    ("a hostile name", lambda p, k: dict({n: v for n, v in p.items() if n != k}, **{HOSTILE: 1}),
     "unexpected \\['MLP"),
    ("a very long name", lambda p, k: dict({n: v for n, v in p.items() if n != k},
                                            **{"w" * 10**6: 1.0}), "unexpected \\['www"),
    ("none", lambda p, k: {}, "file holds 0|missing"),
    ("too many", lambda p, k: {f"p{i}": 0.0 for i in range(1_000_001)},
     "more than the 1,000,000 parameters"),
]


@pytest.mark.parametrize("how, change, words", BAD_PARAMETERS,
                         ids=[case[0] for case in BAD_PARAMETERS])
def test_bad_parameters(tmp_path, document, how, change, words):
    document["parameters"] = change(document["parameters"], next(iter(document["parameters"])))
    refuse(write(tmp_path, json.dumps(document)), words)


def test_load_state_dict_with_hostile_names_gives_a_one_line_message():
    model = make_model()
    state = dict(model.state_dict(), **{HOSTILE: 1.0, "x" * 10**6: 2.0})
    with pytest.raises(ModelFileError, match="unexpected") as caught:
        model.load_state_dict(state)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 1000
    for not_a_dict in ([1.0] * 26, "w0=1", None, 0.5):
        with pytest.raises(ModelFileError, match="a state dict is a dict of numbers"):
            model.load_state_dict(not_a_dict)


# -- things that are not regular files --

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_at_once_instead_of_hanging(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_error_of(tmp_path / "pipe.json")),
                              daemon=True)
    reader.start()
    reader.join(10)
    assert outcome, "reading a FIFO hung"
    assert isinstance(outcome[0], ModelFileError) and "is a FIFO (named pipe)" in str(outcome[0])


def _error_of(path):
    try:
        nn.MLP.from_file(path)
    except Exception as error:  # noqa: BLE001 - the test inspects whatever was raised
        return error


@pytest.mark.parametrize("where, words", [
    (".", "is a folder, not a model file"),
    ("/dev/null", "is a character device"),
    ("/dev/zero", "is a character device"),
])
def test_folders_and_devices_are_refused(tmp_path, monkeypatch, where, words):
    if not os.path.exists(where):
        pytest.skip(f"no {where} here")
    monkeypatch.chdir(tmp_path)
    refuse(where, words)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_a_socket_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited to ~100 bytes
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind("model.sock")
        refuse("model.sock", "is a socket")


def test_a_file_too_big_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as file:
        file.truncate(256 * 2**20 + 1)  # sparse: no disk, no time
    refuse(path, "268,435,457 bytes is too big for a model file")


def test_a_missing_file_is_file_not_found_naming_it(tmp_path):
    for path in (tmp_path / "nowhere.json", tmp_path / "missing" / "m.json"):
        with pytest.raises(FileNotFoundError, match="m.json|nowhere.json"):
            nn.MLP.from_file(path)
        with pytest.raises(FileNotFoundError):
            make_model().load(path)


# -- file names --

@pytest.mark.parametrize("name", ["my model.json", "modèle ü 模型.json", "two\nlines.json",
                                  "quote\"'<b>.json", " leading space", "-starts-with-dash",
                                  os.fsdecode(b"latin1-\xe9.json")])
def test_hostile_file_names_round_trip_and_are_named_escaped_in_errors(tmp_path, name):
    model = make_model()
    path = tmp_path / name
    model.save(path)
    assert nn.MLP.from_file(path).state_dict() == model.state_dict()
    assert os.listdir(tmp_path) == [name]
    path.write_text("{")
    refuse(path, "truncated or corrupted")


# -- saving --

@pytest.mark.parametrize("where, error, words", [
    ("missing/m.json", FileNotFoundError, "the folder .* does not exist"),
    ("a folder", IsADirectoryError, "it is a folder"),
    ("a folder/", IsADirectoryError, "names a folder"),
    ("a file/m.json", NotADirectoryError, "is not a folder"),
    ("", FileNotFoundError, "the path is empty"),
])
def test_saving_where_nothing_can_be_written(tmp_path, monkeypatch, where, error, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a folder").mkdir()
    (tmp_path / "a file").write_text("keep me")
    with pytest.raises(error, match=words):
        make_model().save(where)
    assert sorted(os.listdir(tmp_path)) == ["a file", "a folder"]
    assert (tmp_path / "a file").read_text() == "keep me"
    assert os.listdir(tmp_path / "a folder") == []


def test_two_threads_saving_to_one_path_leave_one_whole_file(tmp_path):
    path = tmp_path / "model.json"
    models = [make_model(seed=1), nn.MLP(3, [4, 2], activation="tanh", seed=2)]
    states = [model.state_dict() for model in models]
    errors, read = [], []
    start = threading.Barrier(3)

    def save_often(model):
        start.wait()
        try:
            for _ in range(20):
                model.save(path)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def load_often():
        start.wait()
        for _ in range(40):
            try:
                read.append(nn.MLP.from_file(path).state_dict())
            except FileNotFoundError:
                pass  # before the first save
            except Exception as error:  # noqa: BLE001 - a half-written file would land here
                errors.append(error)

    threads = [threading.Thread(target=save_often, args=(m,)) for m in models]
    threads.append(threading.Thread(target=load_often))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert nn.MLP.from_file(path).state_dict() in states
    assert all(state in states for state in read)
    assert os.listdir(tmp_path) == ["model.json"]  # no temporaries


# -- the command line --

def refused(argv, words, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    last = err.strip().splitlines()[-1]
    assert last.startswith("python -m nn: error: ") and words in last, err
    assert out == ""  # nothing built, nothing trained


BAD_ARGUMENTS = [
    (["--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--dataset", ""], "invalid choice: ''"),
    (["--dataset", "MOONS"], "invalid choice: 'MOONS'"),
    (["--samples", "0"], "'0' must be at least 1"),
    (["--samples", "-5"], "'-5' must be at least 1"),
    (["--samples", "1.5"], "'1.5' is not a whole number"),
    (["--samples", "1e3"], "'1e3' is not a whole number"),
    (["--samples", ""], "'' is not a whole number"),
    (["--samples", "9" * 5000], "is not a whole number"),
    (["--samples", "2000000"], "at most 1,000,000 samples"),
    (["--samples", "1"], "moons needs a whole number of samples, at least 2"),
    (["--dataset", "spirals", "--samples", "1"], "spirals needs a whole number of samples"),
    (["--dataset", "blobs", "--samples", "2"], "blobs needs a whole number of samples, at least 3"),
    (["--samples", "3", "--test-size", "0.9"], "keep at least one sample to train on"),
    (["--noise", "-1"], "'-1' must be zero or a positive number"),
    (["--noise=-1e-300"], "must be zero or a positive number"),
    (["--noise", "nan"], "'nan' must be a finite number"),
    (["--noise", "inf"], "'inf' must be a finite number"),
    (["--noise=-inf"], "'-inf' must be a finite number"),
    (["--noise", "-inf"], "--noise: expected one argument"),  # argparse: an option, not a number
    (["--noise", "1e308"], "'1e308' is too large: at most 1e+06"),
    (["--noise", "1e7"], "'1e7' is too large"),
    (["--noise", "lots"], "'lots' is not a number"),
    (["--test-size", "0"], "'0' must be a positive number"),
    (["--test-size", "1"], "'1' must be between 0 and 1"),
    (["--test-size", "-0.1"], "must be a positive number"),
    (["--test-size", "nan"], "'nan' must be a finite number"),
    (["--test-size", "25%"], "'25%' is not a number"),
    (["--hidden", "16,x"], "not a list of layer sizes"),
    (["--hidden", "0"], "every layer needs at least one neuron"),
    (["--hidden", "16,-1"], "every layer needs at least one neuron"),
    (["--hidden", "1.5"], "not a list of layer sizes"),
    (["--hidden", "100000,100000"], "more than 1,000,000 parameters"),
    (["--hidden", "9" * 30], "more than 1,000,000 parameters"),
    (["--activation", "softmax"], "invalid choice: 'softmax'"),
    (["--init", "zeros"], "invalid choice: 'zeros'"),
    (["--loss", "nll"], "invalid choice: 'nll'"),
    (["--loss", "bce"], "use --loss bce_logits"),
    (["--dataset", "blobs", "--loss", "hinge"], "use --loss cross_entropy"),
    (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["--lr", "0"], "'0' must be a positive number"),
    (["--lr", "-0.1"], "must be a positive number"),
    (["--lr", "nan"], "'nan' must be a finite number"),
    (["--lr", "inf"], "'inf' must be a finite number"),
    (["--lr", "1e308"], "'1e308' is too large: at most 1e+06"),
    (["--lr", "1e7"], "is too large"),
    (["--lr", ""], "'' is not a number"),
    (["--schedule", "exponential"], "invalid choice: 'exponential'"),
    (["--l2", "-1"], "must be zero or a positive number"),
    (["--l2", "nan"], "must be a finite number"),
    (["--l2", "1e308"], "'1e308' is too large: at most 1e+06"),
    (["--epochs", "0"], "'0' must be at least 1"),
    (["--epochs", "-1"], "'-1' must be at least 1"),
    (["--epochs", "1.5"], "is not a whole number"),
    (["--epochs", "ten"], "'ten' is not a whole number"),
    (["--batch-size", "0"], "'0' must be at least 1"),
    (["--batch-size", "all"], "'all' is not a whole number"),
    (["--seed", "-1"], "'-1' must be at least 0"),
    (["--seed", "1.5"], "'1.5' is not a whole number"),
    (["--seed", "random"], "'random' is not a whole number"),
    (["--out", "a file"], "--out 'a file' is a file, not a folder"),
    (["--out", "a file/pictures"], "--out 'a file/pictures'"),
    (["--save", ""], "--save: cannot write a file: the path is empty"),
    (["--save", "a folder"], "--save: cannot write 'a folder': it is a folder"),
    (["--save", "a folder/"], "it names a folder"),
    (["--save", "."], "it is a folder"),
    (["--save", "missing/m.json"], "the folder"),
    (["--save", "a file/m.json"], "is not a folder"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--lr"], "expected one argument"),
]


@pytest.mark.parametrize("argv, words", BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_refused_in_one_line(tmp_path, monkeypatch, capsys, argv, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a file").write_text("keep me")
    (tmp_path / "a folder").mkdir()
    refused(argv + ["--epochs", "1"] if "--epochs" not in argv else argv, words, capsys)
    assert sorted(os.listdir(tmp_path)) == ["a file", "a folder"]
    assert (tmp_path / "a file").read_text() == "keep me"


@pytest.mark.parametrize("argv", [
    ["--hidden", ""], ["--hidden", " 4 , 4 "], ["--noise", "0"], ["--noise", "-0.0"],
    ["--l2", "0e10"], ["--samples", "2"], ["--test-size", "1e-9"], ["--batch-size", "1000000"],
    ["--seed", "99999999999999999999"], ["--lr", "1e-300"], ["--dataset", "xor", "--samples", "1"],
    ["--dataset", "spirals", "--samples", "3"], ["--epochs", "1", "--schedule", "cosine"],
])
def test_hostile_but_valid_arguments_train(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv + ["--epochs", "2", "--quiet", "--no-plots"]) == 0
    out, err = capsys.readouterr()
    assert "train accuracy" in out and err == ""


@pytest.mark.parametrize("argv", [["--lr", "1e6"], ["--l2", "1e6"], ["--noise", "1e6"]])
def test_the_largest_values_train_or_stop_with_one_line(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    code = main(argv + ["--epochs", "5", "--quiet", "--no-plots", "--save", "m.json"])
    out, err = capsys.readouterr()
    if code == 0:
        assert "train accuracy" in out and err == ""
        assert nn.MLP.from_file("m.json")
    else:
        assert code == 1 and err.startswith("error: ") and err.count("\n") == 1
        assert os.listdir(tmp_path) == []  # a diverged model is not saved


def test_a_hostile_save_path_round_trips(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "my model ü\n\"<b>\".json"
    assert main(["--epochs", "2", "--quiet", "--out", "pictures ü", "--save", name]) == 0
    assert nn.MLP.from_file(tmp_path / name).config()["nouts"] == [16, 16, 1]
    assert sorted(os.listdir(tmp_path / "pictures ü")) == ["decision_boundary.png",
                                                          "loss_curve.png"]
    capsys.readouterr()
