"""Saving and loading models: the only module that uses joblib.

A model file (format 3) holds data only: a joblib file of plain dicts, lists,
strings, numbers and NumPy arrays. The fitted pipeline is written as a tree of
its estimators, each as the name of an allowlisted class (:func:`components`),
its constructor parameters and its fitted attributes (the public ones ending in
``_``: vocabularies, idf weights, scaler statistics, coefficients...). Loading
reads the file with an unpickler that admits no global but the three that
joblib's arrays are rebuilt from, so a crafted file is refused before anything
in it runs, checks a SHA-256 of the data kept in the metadata, then builds each
estimator from its class and parameters and sets its fitted attributes.

The serializer is generic: a new triage estimator in ``features.py``,
``neighbours.py``, ``leftovers.py`` or ``model.py`` is saved without a change
here, as long as its fitted state is in public attributes ending in ``_``
(private attributes such as ``CharNgrams._cache`` are caches, rebuilt as the
model is used; a class that needs one kept names it in :data:`PRIVATE_STATE`).
A scikit-learn class joins the allowlist in :func:`components`.

Formats 1 and 2 held pickled scikit-learn objects, and loading them runs code
from the file: they load only with ``trust_pickle``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import numbers
import pickle
import platform
import re
import struct
import warnings
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

from triage import __version__
from triage._atomic import atomic_write
from triage.errors import ModelError
from triage.model import Model

FORMAT = "triage-model"
FORMAT_VERSION = 3
FEATURES_VERSION = 5
"""The feature set a model was fitted on; bump it with any change to the features
that a fitted pipeline cannot follow (2: the directed actor/action cues; 3: the
public-mood cue; 4: upper-case articles put in sentence case; 5: lower-case ones
too, and the neighbour pass's coherence columns). A model
file without it was fitted on set 1."""
PICKLE_VERSIONS = (1, 2)
"""Formats that held pickled objects (1: the pipeline itself; 2: its pickled bytes)."""
DIGEST_KEY = "payload_sha256"
"""The metadata entry holding the SHA-256 of the rest of the file's data."""
PRIVATE_STATE: dict[str, tuple[str, ...]] = {}
"""Private attributes a component needs kept, by component name (none so far)."""

MAX_DATA_BYTES = 1 << 30
"""Largest decompressed model data read; a larger file is refused, not read into memory."""

_TAG = "__type__"
_PACK_AT = 32
"""Lists of strings and str-to-int dicts from this length are packed into one string."""
_SEPARATORS = ("\n", "\x00", "\x1f")
_FITTED = re.compile(r"[A-Za-z][A-Za-z0-9_]*_")
_INT64 = (-(2**63), 2**63 - 1)


def environment() -> dict[str, str]:
    """Versions that a model file was written with."""
    return {
        "triage": __version__,
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
    }


@functools.cache
def components() -> dict[str, type]:
    """The estimator classes a model file may name, by the name it gives them.

    scikit-learn's are listed by their public import path; triage's are every
    public estimator class of its pipeline modules, named by the module that
    exports it (``triage.features.CharNgrams``, defined in ``triage.features.ngrams``).
    """
    from sklearn.base import BaseEstimator
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import StandardScaler

    from triage import features, leftovers, model, neighbours

    found: dict[str, type] = {
        "sklearn.pipeline.Pipeline": Pipeline,
        "sklearn.pipeline.FeatureUnion": FeatureUnion,
        "sklearn.preprocessing.StandardScaler": StandardScaler,
        "sklearn.linear_model.LogisticRegression": LogisticRegression,
        "sklearn.feature_extraction.text.TfidfTransformer": TfidfTransformer,
    }
    for module in (features, leftovers, model, neighbours):
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseEstimator)
                and (value.__module__ == module.__name__ or value.__module__.startswith(module.__name__ + "."))
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


@functools.cache
def _component_names() -> dict[type, str]:
    return {cls: name for name, cls in components().items()}


# Writing: estimators and values to plain data.


def _packed_strings(items: list[str]) -> dict[str, Any]:
    """Many strings as one: the unpickler reads one string where it would build thousands."""
    for separator in _SEPARATORS:
        if not any(separator in item for item in items):
            return {_TAG: "strings", "count": len(items), "separator": separator, "text": separator.join(items)}
    return {
        _TAG: "strings",
        "count": len(items),
        "lengths": np.fromiter(map(len, items), dtype=np.int64, count=len(items)),
        "text": "".join(items),
    }


def _is_str_list(items: list) -> bool:
    return len(items) >= _PACK_AT and all(type(item) is str for item in items)


def _encode_estimator(estimator, where: str) -> dict[str, Any]:
    name = _component_names().get(type(estimator))
    if name is None:
        kind = type(estimator)
        raise ModelError(
            where,
            f"cannot save a {kind.__module__}.{kind.__qualname__}, not a component model files know",
            "add it to triage.persist.components()",
        )
    params = estimator.get_params(deep=False)
    kept = PRIVATE_STATE.get(name, ())
    fitted = {
        key: value
        for key, value in vars(estimator).items()
        if key not in params and (_FITTED.fullmatch(key) or key in kept)
    }
    return {
        _TAG: "estimator",
        "class": name,
        "params": {key: _encode(value, f"{where}.{key}") for key, value in params.items()},
        "fitted": {key: _encode(value, f"{where}.{key}") for key, value in fitted.items()},
    }


def _encode(value: Any, where: str) -> Any:
    """``value`` as plain data that :func:`_decode` turns back into an equal value.

    Dicts with string keys, lists, strings, numbers, booleans and ``None`` stay
    as they are; NumPy arrays too, unless they hold Python objects. Anything
    else becomes a dict tagged with its kind under ``__type__``.
    """
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if isinstance(value, np.generic):
        return {_TAG: "scalar", "value": np.asarray(value)}
    if isinstance(value, np.ndarray):
        if not value.dtype.hasobject:
            return np.asarray(value)  # a subclass (a memmap) as a plain array
        items = [_encode(item, where) for item in value.ravel(order="C").tolist()]
        return {_TAG: "objects", "shape": list(value.shape), "items": items}
    if kind in (list, tuple):
        if kind is list and _is_str_list(value):
            return _packed_strings(value)
        items = [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return items if kind is list else {_TAG: "tuple", "items": items}
    if kind in (set, frozenset):
        try:
            ordered = sorted(value)
        except TypeError:
            ordered = sorted(value, key=repr)
        items = _packed_strings(ordered) if _is_str_list(ordered) else [_encode(v, where) for v in ordered]
        return {_TAG: kind.__name__, "items": items}
    if kind is dict:
        if all(type(key) is str for key in value) and _TAG not in value:
            if len(value) >= _PACK_AT and all(type(v) is int and _INT64[0] <= v <= _INT64[1] for v in value.values()):
                return {
                    _TAG: "str_int_dict",
                    "keys": _packed_strings(list(value)),
                    "values": np.fromiter(value.values(), dtype=np.int64, count=len(value)),
                }
            return {key: _encode(item, f"{where}[{key!r}]") for key, item in value.items()}
        return {
            _TAG: "dict",
            "keys": [_encode(key, where) for key in value],
            "values": [_encode(item, f"{where}[{key!r}]") for key, item in value.items()],
        }
    if hasattr(value, "get_params"):
        return _encode_estimator(value, where)
    import scipy.sparse as sp

    if sp.issparse(value):
        compressed = value.tocsr()
        return {
            _TAG: "sparse",
            "format": value.format,
            "array": isinstance(value, sp.sparray),
            "shape": list(compressed.shape),
            "data": compressed.data,
            "indices": compressed.indices,
            "indptr": compressed.indptr,
        }
    raise ModelError(
        where,
        f"cannot save a value of type {kind.__module__}.{kind.__qualname__} in a model file",
        "keep fitted state in arrays, numbers, strings, lists, sets or dicts",
    )


def _plain_metadata(value: Any, where: str = "metadata") -> Any:
    """The metadata with NumPy scalars made Python numbers; anything not plain data is refused."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if kind in (list, tuple):
        return kind(_plain_metadata(v, where) for v in value)
    if kind is dict and all(type(k) is str for k in value):
        return {k: _plain_metadata(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise ModelError(where, f"cannot save a {kind.__qualname__} in a model's metadata", "give plain data")


def _digest(value: Any) -> str:
    """SHA-256 of plain data, its kinds and structure included (independent of pickling)."""
    sha = hashlib.sha256()
    _feed(sha, value)
    return sha.hexdigest()


def _feed(sha, value: Any) -> None:
    kind = type(value)
    if value is None:
        sha.update(b"N")
    elif kind is bool:
        sha.update(b"T" if value else b"F")
    elif kind is int:
        text = str(value).encode()
        sha.update(b"i%d:" % len(text) + text)
    elif kind is float:
        sha.update(b"f" + struct.pack("<d", value))
    elif kind is str:
        raw = value.encode("utf-8", "surrogatepass")
        sha.update(b"s%d:" % len(raw))
        sha.update(raw)
    elif kind in (list, tuple):
        sha.update(b"%s%d:" % (b"l" if kind is list else b"t", len(value)))
        for item in value:
            _feed(sha, item)
    elif kind is dict:
        sha.update(b"d%d:" % len(value))
        for key, item in value.items():
            _feed(sha, key)
            _feed(sha, item)
    elif kind is np.ndarray and not value.dtype.hasobject:
        header = f"{value.dtype.str}{value.shape}".encode()
        sha.update(b"a%d:" % len(header) + header)
        sha.update(np.ascontiguousarray(value).tobytes())
    else:
        raise TypeError(f"not plain data: {kind.__qualname__}")


def _digested(payload: dict[str, Any]) -> str:
    """The digest of everything in a payload but the digest itself."""
    metadata = {k: v for k, v in payload["metadata"].items() if k != DIGEST_KEY}
    return _digest([payload["format"], payload["format_version"], metadata, payload["model"]])


def save_model(model: Model, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically, as data, with versions, creation time and SHA-256.

    Parameters
    ----------
    model
        A fitted model whose pipeline is made of :func:`components`.
    path
        The file to write; its folder is created if needed.

    Returns
    -------
    Path
        Where the model was written.

    Raises
    ------
    ModelError
        The file cannot be written, or the pipeline holds something a model
        file cannot store.
    """
    path = Path(path)
    metadata = _plain_metadata(
        {
            **{k: v for k, v in model.metadata.items() if k != DIGEST_KEY},
            "versions": environment(),
            "features_version": FEATURES_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    )
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "metadata": metadata,
        "model": _encode(model.pipeline, "pipeline"),
    }
    metadata[DIGEST_KEY] = _digested(payload)
    try:
        atomic_write(path, lambda handle: joblib.dump(payload, handle, compress=("zlib", 3)), binary=True)
    except OSError as exc:
        raise ModelError(path, f"cannot write the model ({exc.strerror})", "check the folder") from None
    model.metadata = metadata
    return path


# Reading: a restricted unpickler, then plain data back to estimators.


class _Refused(pickle.UnpicklingError):
    """The file asks for a global that model data never needs: it would run code."""

    def __init__(self, module: str, name: str):
        super().__init__(f"{module}.{name}")
        self.qualified = f"{module}.{name}"


_READ_TAKES_BYTE_ORDER = "ensure_native_byte_order" in NumpyArrayWrapper.read.__code__.co_varnames


class _DataUnpickler(NumpyUnpickler):
    """joblib's unpickler, admitting only what joblib rebuilds NumPy arrays from.

    Model data is dicts, lists, strings and numbers, which pickle writes without
    naming any global, and arrays, which joblib writes as a wrapper object
    (naming its class, ``numpy.ndarray`` and ``numpy.dtype``) followed by the
    raw bytes. Any other global, and any array of Python objects (joblib would
    unpickle its items), is refused before it is looked up.
    """

    ALLOWED = frozenset(
        {("joblib.numpy_pickle", "NumpyArrayWrapper"), ("numpy", "ndarray"), ("numpy", "dtype")}
    )
    dispatch = NumpyUnpickler.dispatch.copy()

    def __init__(self, handle):
        if "ensure_native_byte_order" in NumpyUnpickler.__init__.__code__.co_varnames:
            super().__init__("", handle, ensure_native_byte_order=True)
        else:  # joblib before 1.5
            super().__init__("", handle)

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise _Refused(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not model data")

    def load_build(self):
        target = self.stack[-2] if len(self.stack) >= 2 else None
        if not isinstance(target, (NumpyArrayWrapper, np.dtype)):
            raise pickle.UnpicklingError("state set on something that is not an array description")
        pickle._Unpickler.load_build(self)
        wrapper = self.stack[-1]
        if isinstance(wrapper, NumpyArrayWrapper):
            self._check_wrapper(wrapper)
            if _READ_TAKES_BYTE_ORDER:
                self.stack[-1] = wrapper.read(self, True)
            else:  # joblib before 1.5
                self.stack[-1] = wrapper.read(self)

    dispatch[pickle.BUILD[0]] = load_build

    @staticmethod
    def _check_wrapper(wrapper: NumpyArrayWrapper) -> None:
        shape = getattr(wrapper, "shape", None)
        dtype = getattr(wrapper, "dtype", None)
        if (
            getattr(wrapper, "subclass", None) is not np.ndarray
            or not isinstance(dtype, np.dtype)
            or dtype.hasobject
            or getattr(wrapper, "order", None) not in ("C", "F")
            or type(shape) is not tuple
            or not all(type(n) is int and n >= 0 for n in shape)
        ):
            raise pickle.UnpicklingError("not an array of numbers or strings")


def _decompressed(raw: bytes) -> bytes:
    """The pickle inside a joblib file: zlib- or gzip-compressed, or as is."""
    if raw[:1] == b"\x80":
        return raw
    if raw[:1] == b"\x78":
        inflate = zlib.decompressobj()
    elif raw[:2] == b"\x1f\x8b":
        inflate = zlib.decompressobj(wbits=31)
    else:
        raise ValueError("not a pickle, nor zlib or gzip data")
    data = inflate.decompress(raw, MAX_DATA_BYTES)
    if inflate.unconsumed_tail:
        raise ValueError("too large")
    if not inflate.eof:
        raise ValueError("truncated")
    return data


def _read_data(path: Path) -> Any:
    """The data of a joblib file, read without running anything from it."""
    return _DataUnpickler(io.BytesIO(_decompressed(path.read_bytes()))).load()


class _Malformed(Exception):
    """The data is not a model that this version can build."""


class _UnknownComponent(_Malformed):
    """The data names an estimator class that is not in :func:`components`."""


def _decode_strings(value: dict) -> list[str]:
    count, text = value["count"], value["text"]
    if type(count) is not int or type(text) is not str:
        raise _Malformed("strings")
    if "separator" in value:
        items = text.split(value["separator"]) if count else []
    else:
        ends = np.cumsum(value["lengths"]).tolist()
        items = list(map(text.__getitem__, map(slice, [0, *ends[:-1]], ends)))
    if len(items) != count:
        raise _Malformed("strings")
    return items


def _decode_estimator(value: dict) -> Any:
    cls = components().get(value["class"])
    if cls is None:
        raise _UnknownComponent(str(value["class"]))
    accepted = set(cls._get_param_names())
    # A parameter this scikit-learn does not take was added after it; at its
    # default it changes nothing here, and a parameter of fitting is not used.
    params = {k: _decode(v) for k, v in value["params"].items() if k in accepted}
    estimator = cls(**params)
    kept = PRIVATE_STATE.get(value["class"], ())
    for key, item in value["fitted"].items():
        if type(key) is not str or not (_FITTED.fullmatch(key) or key in kept):
            raise _Malformed(f"attribute {key!r}")
        setattr(estimator, key, _decode(item))
    return estimator


def _decode(value: Any) -> Any:
    """The inverse of :func:`_encode`, building only :func:`components`."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str, np.ndarray):
        return value
    if kind is list:
        return [_decode(item) for item in value]
    if kind is not dict:
        raise _Malformed(kind.__name__)
    tag = value.get(_TAG)
    if tag is None:
        return {key: _decode(item) for key, item in value.items()}
    if tag == "estimator":
        return _decode_estimator(value)
    if tag == "strings":
        return _decode_strings(value)
    if tag == "str_int_dict":
        return dict(zip(_decode_strings(value["keys"]), value["values"].tolist()))
    if tag == "scalar":
        return value["value"][()]
    if tag == "tuple":
        return tuple(_decode(value["items"]))
    if tag in ("set", "frozenset"):
        items = _decode(value["items"])
        return set(items) if tag == "set" else frozenset(items)
    if tag == "dict":
        return dict(zip(_decode(value["keys"]), _decode(value["values"])))
    if tag == "objects":
        items = _decode(value["items"])
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(value["shape"])
    if tag == "sparse":
        import scipy.sparse as sp

        build = sp.csr_array if value["array"] else sp.csr_matrix
        matrix = build((value["data"], value["indices"], value["indptr"]), shape=tuple(value["shape"]))
        return matrix.asformat(value["format"])
    raise _Malformed(f"kind {tag!r}")


# Loading.


def _quiet(load, *args):
    with warnings.catch_warnings():
        # sklearn warns about version skew while unpickling; the metadata check says it better.
        warnings.simplefilter("ignore")
        return load(*args)


def _pickle_refusal(path: Path, what: str) -> ModelError:
    return ModelError(
        path,
        f"a pickle-based model file ({what})",
        "a pickle can run any code, so triage loads only data model files: run 'triage train' "
        "to rebuild it, or pass `trust_pickle` if you made this file yourself",
    )


def _check_features_version(path: Path, metadata: dict[str, Any]) -> None:
    features_version = metadata.get("features_version", 1)
    if features_version != FEATURES_VERSION:
        raise ModelError(
            path,
            f"fitted on triage's feature set {features_version}, this version computes set {FEATURES_VERSION}",
            ModelError.REBUILD,
        )


def _check_metadata(path: Path, metadata: dict[str, Any]) -> None:
    """Refuse a drop threshold that is not a probability and an HTML stage that is malformed, at load, not mid-run."""
    threshold = metadata.get("boilerplate_threshold")
    if threshold is not None and not (
        isinstance(threshold, numbers.Real) and not isinstance(threshold, bool) and 0 <= threshold <= 1
    ):
        raise ModelError(path, f"its boilerplate threshold {threshold!r} is not a probability from 0 to 1", ModelError.REBUILD)
    if metadata.get("html_stage") is not None:
        from triage.html import HtmlStage

        HtmlStage.from_data(metadata["html_stage"], where=str(path))


def _checked_model(path: Path, pipeline: Any, metadata: Any, unreadable: ModelError) -> Model:
    """The loaded pipeline as a :class:`Model`, once it can score and its metadata is sound."""
    if not hasattr(pipeline, "predict_proba"):
        raise unreadable
    if isinstance(metadata, dict):
        _check_metadata(path, metadata)
    return Model(pipeline=pipeline, metadata=metadata)


def _load_pickled(path: Path, payload: Any, *, force: bool, unreadable: ModelError) -> Model:
    """A model of format 1 or 2, trusted by the user: unpickled as before format 3."""
    if payload is None:
        try:
            payload = _quiet(joblib.load, path)
        except Exception:  # a corrupt pickle can raise almost anything
            raise unreadable from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(path, "not a triage model file", "run 'triage train' to make one")
    if payload.get("format_version") not in PICKLE_VERSIONS:
        raise unreadable
    metadata: dict[str, Any] = payload.get("metadata", {})
    saved_with = metadata.get("versions", {}).get("sklearn")
    if saved_with != sklearn.__version__ and not force:
        raise ModelError(
            path,
            f"saved with scikit-learn {saved_with}, this is {sklearn.__version__}",
            "run 'triage train' to rebuild it (or pass `force` to load it anyway)",
        )
    _check_features_version(path, metadata)
    pipeline = payload.get("pipeline")
    if isinstance(pipeline, bytes):
        try:
            pipeline = _quiet(pickle.loads, pipeline)
        except Exception:
            raise unreadable from None
    return _checked_model(path, pipeline, metadata, unreadable)


def load_model_file(path: str | Path, *, force: bool = False, trust_pickle: bool = False) -> Model:
    """Load a model written by :func:`save_model`, without running anything from the file.

    Parameters
    ----------
    path
        The model file.
    force
        With ``trust_pickle``: load a pickle saved by another scikit-learn
        version instead of refusing it; its predictions may then be wrong.
    trust_pickle
        Load a model file of format 1 or 2 (pickled scikit-learn objects) by
        unpickling it, which runs code from the file: only for a file you made.

    Returns
    -------
    Model
        The rebuilt pipeline and the file's metadata.

    Raises
    ------
    ModelError
        The file is missing, truncated, edited, not a triage model, fitted on
        another feature set, or a pickle (without ``trust_pickle``).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(path, "no such model file", "run 'triage train' or give another `model`")
    unreadable = ModelError(path, "not a readable model file (truncated or corrupt)", ModelError.REBUILD)
    try:
        payload = _read_data(path)
    except _Refused as refused:
        if not trust_pickle:
            raise _pickle_refusal(path, f"loading it would import {refused.qualified}") from None
        return _load_pickled(path, None, force=force, unreadable=unreadable)
    except OSError as exc:
        raise ModelError(path, f"cannot read the model ({exc.strerror})", "check the file") from None
    except Exception:  # a corrupt pickle or stream can raise almost anything
        raise unreadable from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(path, "not a triage model file", "run 'triage train' to make one")
    version = payload.get("format_version")
    if version in PICKLE_VERSIONS:
        if not trust_pickle:
            raise _pickle_refusal(path, f"format {version}, a pickled pipeline")
        return _load_pickled(path, payload, force=force, unreadable=unreadable)
    if version != FORMAT_VERSION:
        raise ModelError(
            path,
            f"model format {version} is not one this version reads "
            f"({FORMAT_VERSION}, or {' and '.join(map(str, PICKLE_VERSIONS))} with `trust_pickle`)",
            ModelError.REBUILD,
        )
    metadata = payload.get("metadata")
    if not isinstance(metadata, dict) or "model" not in payload:
        raise unreadable
    try:
        intact = metadata.get(DIGEST_KEY) == _digested(payload)
    except Exception:  # not plain data, or nested too deep to walk
        intact = False
    if not intact:
        raise ModelError(path, "the model's data does not match its SHA-256 (the file was edited or damaged)", ModelError.REBUILD)
    _check_features_version(path, metadata)
    try:
        pipeline = _quiet(_decode, payload["model"])
    except _UnknownComponent as unknown:
        raise ModelError(
            path, f"made with a component this version of triage does not know ({unknown})", ModelError.REBUILD
        ) from None
    except Exception:  # well-formed data that does not describe a model this version builds
        raise unreadable from None
    return _checked_model(path, pipeline, metadata, unreadable)
