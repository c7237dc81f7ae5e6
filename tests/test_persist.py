"""Model files hold data only: they round-trip exactly, refuse code, and tell edits and pickles apart."""

from __future__ import annotations

import os

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import REPO, SEED_NAMES, make_project, resign, write_pickled
from triage import config, persist
from triage.api import load_model
from triage.cli.app import app
from triage.errors import ModelError
from triage.labelling.files import load_labels
from triage.model import Model, ModelSettings, dataset, fit

runner = CliRunner()
SEED = SEED_NAMES[0]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


class Exploit:
    """Unpickling this runs a shell command that leaves ``marker`` behind."""

    def __init__(self, marker, call=os.system):
        self.marker, self.call = marker, call

    def __reduce__(self):
        if self.call is os.system:
            return os.system, (f"touch {self.marker}",)
        return self.call, (f"open({str(self.marker)!r}, 'w').close()",)


def crafted_model(path, marker, call=os.system):
    """A joblib file shaped like a triage model whose pipeline is an exploit."""
    payload = {"format": persist.FORMAT, "format_version": persist.FORMAT_VERSION, "metadata": {}, "model": Exploit(marker, call)}
    joblib.dump(payload, path, compress=3)
    return path


def plain_leaves(value):
    """Every leaf of the data, checking that nothing but plain data is in it."""
    if isinstance(value, dict):
        assert all(type(k) is str for k in value)
        for item in value.values():
            yield from plain_leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from plain_leaves(item)
    else:
        assert value is None or type(value) in (bool, int, float, str, np.ndarray), type(value)
        assert not isinstance(value, np.ndarray) or not value.dtype.hasobject
        yield value


def seed_samples():
    return dataset(load_labels(config.labels_dir())).samples


def test_a_two_stage_model_predicts_identically_once_saved_and_loaded(project, tmp_path):
    # The default pipeline's round trip is tested in test_model.py.
    model = Model(fit(load_labels(project / "labels"), ModelSettings(two_stage=True)), {"labels": ["attack"]})
    path = persist.save_model(model, tmp_path / "m.joblib")
    loaded = persist.load_model_file(path)
    samples = seed_samples()
    np.testing.assert_array_equal(model.pipeline.predict_proba(samples), loaded.pipeline.predict_proba(samples))
    assert type(loaded.pipeline) is type(model.pipeline)
    assert loaded.metadata[persist.DIGEST_KEY] == model.metadata[persist.DIGEST_KEY]


def test_the_file_holds_only_plain_data(model_path):
    payload = persist._read_data(model_path)
    leaves = list(plain_leaves(payload))
    assert any(isinstance(leaf, np.ndarray) and leaf.dtype == np.float64 and leaf.ndim == 2 for leaf in leaves)
    classes = {v["class"] for v in _estimators(payload["model"])}
    assert classes <= set(persist.components())
    assert {"triage.neighbours.NeighbourPass", "sklearn.linear_model.LogisticRegression", "triage.features.CharNgrams"} <= classes
    assert len(payload["metadata"][persist.DIGEST_KEY]) == 64


def _estimators(value):
    if isinstance(value, dict):
        if value.get("__type__") == "estimator":
            yield value
        for item in value.values():
            yield from _estimators(item)
    elif isinstance(value, list):
        for item in value:
            yield from _estimators(item)


@pytest.mark.parametrize("call", [os.system, exec], ids=["os.system", "builtins.exec"])
def test_a_crafted_pickle_is_refused_before_it_runs(tmp_path, call):
    marker = tmp_path / "ran"
    path = crafted_model(tmp_path / "evil.joblib", marker, call)
    with pytest.raises(ModelError, match=r"a pickle-based model file \(loading it would import (posix|nt|builtins)\.(system|exec)\)"):
        persist.load_model_file(path)
    assert not marker.exists()


def test_a_crafted_pickle_inside_an_array_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    payload = {"format": persist.FORMAT, "format_version": persist.FORMAT_VERSION, "metadata": {},
               "model": np.array([Exploit(marker), 1], dtype=object)}
    joblib.dump(payload, tmp_path / "evil.joblib", compress=3)
    with pytest.raises(ModelError, match=r"not a readable model file \(truncated or corrupt\)"):
        persist.load_model_file(tmp_path / "evil.joblib")
    assert not marker.exists()


def test_classify_refuses_a_crafted_model_in_one_line(project, tmp_path):
    marker = tmp_path / "ran"
    path = crafted_model(tmp_path / "evil.joblib", marker)
    result = run("classify", project / "seeds" / f"{SEED}.txt", "--model", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: a pickle-based model file (loading it would import ")
    assert result.stderr.endswith("pass --trust-pickle if you made this file yourself\n")
    assert len(result.stderr.splitlines()) == 1
    assert not marker.exists()


def test_edited_data_is_refused_with_one_line(model_path, project):
    expected = (
        f"Error: {model_path}: the model's data does not match its SHA-256 (the file was edited or damaged); "
        "run 'triage train' to rebuild it\n"
    )
    original = model_path.read_bytes()
    edits = {
        "a coefficient": lambda payload: _first_matrix(payload["model"]).__setitem__((0, 0), 9.0),
        "the metadata": lambda payload: payload["metadata"].update(boilerplate_threshold=0.01),
        "no digest": lambda payload: payload["metadata"].pop(persist.DIGEST_KEY),
    }
    for name, edit in edits.items():
        payload = persist._read_data(model_path)
        edit(payload)
        joblib.dump(payload, model_path, compress=3)
        result = run("classify", project / "seeds" / f"{SEED}.txt", "--model", model_path)
        assert (result.exit_code, result.stderr) == (1, expected), name
        model_path.write_bytes(original)


def _first_matrix(value):
    return next(leaf for leaf in plain_leaves(value) if isinstance(leaf, np.ndarray) and leaf.ndim == 2)


def test_truncated_and_damaged_files_are_one_line_errors(model_path, project):
    original = model_path.read_bytes()
    expected = f"Error: {model_path}: not a readable model file (truncated or corrupt); run 'triage train' to rebuild it\n"
    for broken in (original[: len(original) // 3], original[:-1], original[:40] + bytes(200) + original[240:], b""):
        model_path.write_bytes(broken)
        result = run("classify", project / "seeds" / f"{SEED}.txt", "--model", model_path)
        assert (result.exit_code, result.stderr) == (1, expected)


def test_a_pickle_model_file_needs_trust_pickle_on_the_command_line(model_path, project, tmp_path):
    seed = project / "seeds" / f"{SEED}.txt"
    legacy = write_pickled(load_model(model_path), tmp_path / "old.joblib", version=2)
    refused = run("classify", seed, "--model", legacy, "--format", "jsonl")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {legacy}: a pickle-based model file (format 2, a pickled pipeline); a pickle can run any code, "
        "so triage loads only data model files: run 'triage train' to rebuild it, or pass --trust-pickle "
        "if you made this file yourself\n"
    )
    trusted = run("classify", seed, "--model", legacy, "--format", "jsonl", "--trust-pickle")
    assert trusted.exit_code == 0, trusted.output
    assert trusted.stdout == run("classify", seed, "--model", model_path, "--format", "jsonl").stdout
    for command in (["explain"], ["labels", "export", "--format", "doccano"]):
        assert run(*command, "--model", legacy).exit_code == 1
        result = run(*command, "--model", legacy, "--trust-pickle")
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["classify"], ["explain"], ["evaluate"], ["labels", "export"], ["label"]])
def test_every_command_that_loads_a_model_takes_trust_pickle(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "--model" in result.stdout and "--trust-pickle" in result.stdout


def test_a_component_this_version_does_not_know_is_refused_by_name(model_path):
    def rename(payload):
        next(_estimators(payload["model"]))["class"] = "os.system"

    resign(model_path, rename)
    with pytest.raises(ModelError, match=r"made with a component this version of triage does not know \(os\.system\)"):
        persist.load_model_file(model_path)


def test_only_fitted_attributes_are_set(model_path):
    resign(model_path, lambda payload: next(_estimators(payload["model"]))["fitted"].update(__class__="x"))
    with pytest.raises(ModelError, match=r"not a readable model file"):
        persist.load_model_file(model_path)


def test_saving_something_that_is_not_data_says_what_and_where(project, tmp_path):
    from sklearn.dummy import DummyClassifier

    foreign = Model(DummyClassifier().fit([[0], [1]], ["a", "b"]))
    with pytest.raises(ModelError, match=r"pipeline: cannot save a sklearn\.dummy\.DummyClassifier, not a component"):
        persist.save_model(foreign, tmp_path / "m.joblib")
    odd = Model(fit(load_labels(project / "labels")[:2], ModelSettings(neighbours=False)))
    odd.pipeline.named_steps["classifier"].odd_ = lambda: None
    with pytest.raises(ModelError, match=r"pipeline\.steps\[2\]\[1\]\.odd_: cannot save a value of type builtins\.function"):
        persist.save_model(odd, tmp_path / "m.joblib")
    assert not (tmp_path / "m.joblib").exists()


VALUES = [
    {"a": 1, "b": [1.5, None, True, "x"]},
    (1, (2, 3)),
    frozenset({"b", "a"}),
    {3, 1, 2},
    {1: "one", (2, 3): "pair"},
    {"__type__": "not a tag"},
    np.float64(2.5),
    np.int32(7),
    np.str_("label"),
    np.array(["a", "bb"], dtype=object),
    np.arange(6, dtype=np.int16).reshape(2, 3),
    np.array(["attack", "boilerplate"]),
    sp.csr_matrix(np.eye(3)),
    sp.csc_matrix(np.eye(2)),
    sp.csr_array(np.eye(2)),
    [f"word{i}" for i in range(100)],
    {f"term {i}": i for i in range(100)},
    [f"line\n{i}\x00\x1f" for i in range(100)],
    [],
    {},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_values_round_trip_with_their_types(tmp_path, value):
    encoded = persist._encode(value, "value")
    list(plain_leaves(encoded))
    joblib.dump(encoded, tmp_path / "v.joblib", compress=3)
    decoded = persist._decode(persist._read_data(tmp_path / "v.joblib"))
    assert type(decoded) is type(value)
    if sp.issparse(value):
        assert decoded.format == value.format and (decoded != value).nnz == 0
    elif isinstance(value, (np.ndarray, np.generic)):
        assert decoded.dtype == value.dtype
        np.testing.assert_array_equal(decoded, value)
    else:
        assert decoded == value


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(), min_size=persist._PACK_AT, max_size=80))
def test_packed_strings_give_back_any_list_of_strings(items):
    assert persist._decode(persist._encode(items, "items")) == items


def test_default_model_is_in_the_user_cache_for_a_regular_install(monkeypatch, tmp_path):
    monkeypatch.delenv(config.HOME_ENV)
    monkeypatch.setattr(config, "checkout_root", lambda: None)
    monkeypatch.setattr(config.sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert config.default_model_path() == tmp_path / "cache" / "triage" / "triage.joblib"
    for unset in ("", "relative/cache"):  # a relative XDG_CACHE_HOME is ignored, as the spec says
        monkeypatch.setenv("XDG_CACHE_HOME", unset)
        assert config.default_model_path() == tmp_path / "me" / ".cache" / "triage" / "triage.joblib"
    monkeypatch.setattr(config.sys, "platform", "darwin")
    assert config.default_model_path() == tmp_path / "me" / "Library" / "Caches" / "triage" / "triage.joblib"
    monkeypatch.setattr(config.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert config.default_model_path() == tmp_path / "local" / "triage" / "Cache" / "triage.joblib"


def test_default_model_is_in_the_checkout_for_an_editable_install_or_in_triage_home(monkeypatch, tmp_path, home):
    assert config.default_model_path() == home / "models" / "triage.joblib"
    monkeypatch.delenv(config.HOME_ENV)
    monkeypatch.setattr(config, "checkout_root", lambda: tmp_path / "clone")
    assert config.default_model_path() == tmp_path / "clone" / "models" / "triage.joblib"


def test_a_model_in_the_current_folder_is_never_the_default(monkeypatch, tmp_path):
    folder = make_project(tmp_path / "downloaded corpus", [SEED])
    marker = tmp_path / "ran"
    crafted_model(folder / "models" / "triage.joblib", marker)
    monkeypatch.chdir(folder)
    monkeypatch.delenv(config.HOME_ENV)
    monkeypatch.setattr(config, "checkout_root", lambda: None)
    monkeypatch.setattr(config.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    notes = []
    model = load_model(note=notes.append, trust_pickle=True)
    assert not marker.exists()
    assert notes == [
        f"no model at {tmp_path / 'cache' / 'triage' / 'triage.joblib'}: building the default model "
        f"from {folder / 'labels'} (some seconds)"
    ]
    assert (tmp_path / "cache" / "triage" / "triage.joblib").is_file()
    assert model.classify("Gunmen attacked the bank.")[0].label


OTHER_PYTHON = os.environ.get("TRIAGE_OTHER_SKLEARN_PYTHON")
"""A Python with another scikit-learn of the allowed range (and triage's other dependencies)."""

CROSS_VERSION = r"""
import sys
import numpy as np
from triage.labelling.files import load_labels
from triage.model import Model, dataset, fit
from triage.persist import load_model_file, save_model
labels, command, path, out = sys.argv[1:5]
samples = dataset(load_labels(labels)).samples
if command == "save":
    model = Model(fit(load_labels(labels)), {"labels": []})
    save_model(model, path)
else:
    model = load_model_file(path)
np.save(out, model.pipeline.predict_proba(samples))
"""


@pytest.mark.skipif(not OTHER_PYTHON, reason="set TRIAGE_OTHER_SKLEARN_PYTHON to a Python with another scikit-learn")
def test_model_files_predict_identically_under_another_scikit_learn(project, tmp_path, model_path):
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}

    def other(command, path, out):
        arguments = [str(project / "labels"), command, str(path), str(out)]
        subprocess.run([OTHER_PYTHON, "-c", CROSS_VERSION, *arguments], check=True, env=env)
        return np.load(out)

    samples = seed_samples()
    here = persist.load_model_file(model_path).pipeline.predict_proba(samples)
    np.testing.assert_array_equal(other("load", model_path, tmp_path / "there.npy"), here)
    there = other("save", tmp_path / "theirs.joblib", tmp_path / "theirs.npy")
    np.testing.assert_array_equal(persist.load_model_file(tmp_path / "theirs.joblib").pipeline.predict_proba(samples), there)
