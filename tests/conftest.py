"""Every test runs against a private project folder: nothing touches the real labels/ or models/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# The default profile draws the same examples on every run, so a CI result can be
# reproduced; HYPOTHESIS_PROFILE=thorough draws new random ones each time (run it on
# demand to look for new failures, and keep each one found as a regression test).
settings.register_profile("default", derandomize=True)
settings.register_profile("thorough", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SEED_NAMES = sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))


def make_project(root: Path, seeds: list[str] | None = None) -> Path:
    """A project folder with the seed articles and their labels (all, or the ones named)."""
    names = SEED_NAMES if seeds is None else seeds
    (root / "seeds").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "models").mkdir()
    for name in names:
        shutil.copy(REPO / "seeds" / f"{name}.txt", root / "seeds")
        shutil.copy(REPO / "labels" / f"{name}.csv", root / "labels")
    return root


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """TRIAGE_HOME points at an empty project folder in tmp_path."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("TRIAGE_HOME", str(root))
    return root


@pytest.fixture
def project(home) -> Path:
    """The private project folder, filled with the seeds and their labels."""
    shutil.rmtree(home)
    return make_project(home)


@pytest.fixture(scope="session")
def trained_model_path(tmp_path_factory) -> Path:
    """One model trained on the shipped seed labels, saved once for the whole session."""
    from triage.api import train
    from triage.persist import save_model

    root = make_project(tmp_path_factory.mktemp("trained"))
    model, _ = train(root / "labels", evaluate=False)
    return save_model(model, root / "models" / "triage.joblib")


@pytest.fixture
def model_path(trained_model_path, tmp_path) -> Path:
    """A private copy of the session's model file, free to break."""
    copy = tmp_path / "model.joblib"
    shutil.copy(trained_model_path, copy)
    return copy


def resign(path: Path, edit) -> None:
    """Rewrite a model file after ``edit(payload)``, with a fresh SHA-256: an edit the file allows."""
    import joblib

    from triage import persist

    payload = persist._read_data(path)
    edit(payload)
    payload["metadata"][persist.DIGEST_KEY] = persist._digested(payload)
    joblib.dump(payload, path, compress=3)


def write_pickled(model, path: Path, *, version: int) -> Path:
    """``model`` saved as triage wrote model files before format 3: pickled objects."""
    import pickle

    import joblib

    from triage import persist

    pipeline = model.pipeline if version == 1 else pickle.dumps(model.pipeline, protocol=pickle.HIGHEST_PROTOCOL)
    metadata = {k: v for k, v in model.metadata.items() if k != persist.DIGEST_KEY}
    payload = {"format": persist.FORMAT, "format_version": version, "metadata": metadata, "pipeline": pipeline}
    joblib.dump(payload, path, compress=3)
    return path
