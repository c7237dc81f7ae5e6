"""Saving and loading models: the only module that uses joblib.

A model file is a joblib pickle of a dict with a format marker, the metadata
and the fitted pipeline. The pipeline is stored as pickled bytes inside it
(format 2): joblib's unpickler is written in Python and spends ~50 ms on the
vectorisers' vocabularies that the C unpickler reads in ~5 ms, and the
metadata (versions) can be checked before any of the pipeline is unpickled.
Loading a pickle runs code from the file: load only model files you made or
got from a source you trust.
"""

from __future__ import annotations

import pickle
import platform
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import sklearn

from triage import __version__
from triage._atomic import atomic_write
from triage.errors import ModelError
from triage.model import Model

FORMAT = "triage-model"
FORMAT_VERSION = 2
FEATURES_VERSION = 4
"""The feature set a model was fitted on; bump it with any change to the features
that a fitted pipeline cannot follow (2: the directed actor/action cues; 3: the
public-mood cue). A model file without it was fitted on set 1."""
READABLE_VERSIONS = (1, 2)
"""Format 1 held the pipeline object itself; it still loads."""


def environment() -> dict[str, str]:
    """Versions that a model file depends on."""
    return {
        "triage": __version__,
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
    }


def save_model(model: Model, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically, stamping versions and creation time.

    Returns
    -------
    Path
        Where the model was written.
    """
    path = Path(path)
    metadata = {
        **model.metadata,
        "versions": environment(),
        "features_version": FEATURES_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "metadata": metadata,
        "pipeline": pickle.dumps(model.pipeline, protocol=pickle.HIGHEST_PROTOCOL),
    }
    try:
        atomic_write(path, lambda handle: joblib.dump(payload, handle, compress=3), binary=True)
    except OSError as exc:
        raise ModelError(f"{path}: cannot write the model ({exc.strerror}); check the folder") from None
    model.metadata = metadata
    return path


def _unpickle(load, source, unreadable: ModelError):
    """``load(source)``, with any failure of a corrupt pickle turned into ``unreadable``."""
    with warnings.catch_warnings():
        # sklearn warns about version skew while unpickling; the metadata check says it better.
        warnings.simplefilter("ignore")
        try:
            return load(source)
        except Exception:  # a corrupt pickle can raise almost anything
            raise unreadable from None


def load_model_file(path: str | Path, *, force: bool = False) -> Model:
    """Load a model written by :func:`save_model`.

    Parameters
    ----------
    path
        The model file.
    force
        Load a model saved by another scikit-learn version instead of refusing
        it; its predictions may then be wrong.

    Raises
    ------
    ModelError
        The file is missing, truncated, not a triage model, or saved by another
        scikit-learn version (without ``force``).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file; run 'triage train' or pass --model PATH")
    unreadable = ModelError(
        f"{path}: not a readable model file (truncated or corrupt); run 'triage train' to rebuild it"
    )
    payload = _unpickle(joblib.load, path, unreadable)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path}: not a triage model file; run 'triage train' to make one")
    if payload.get("format_version") not in READABLE_VERSIONS:
        raise ModelError(
            f"{path}: model format {payload.get('format_version')} is not one this version reads "
            f"({', '.join(map(str, READABLE_VERSIONS))}); run 'triage train' to rebuild it"
        )
    metadata: dict[str, Any] = payload.get("metadata", {})
    saved_with = metadata.get("versions", {}).get("sklearn")
    if saved_with != sklearn.__version__ and not force:
        raise ModelError(
            f"{path}: saved with scikit-learn {saved_with}, this is {sklearn.__version__}; "
            "run 'triage train' to rebuild it (or pass --force to load it anyway)"
        )
    features_version = metadata.get("features_version", 1)
    if features_version != FEATURES_VERSION:
        raise ModelError(
            f"{path}: fitted on triage's feature set {features_version}, this version computes set "
            f"{FEATURES_VERSION}; run 'triage train' to rebuild it"
        )
    pipeline = payload.get("pipeline")
    if isinstance(pipeline, bytes):
        pipeline = _unpickle(pickle.loads, pipeline, unreadable)
    if not hasattr(pipeline, "predict_proba"):
        raise unreadable
    return Model(pipeline=pipeline, metadata=metadata)
