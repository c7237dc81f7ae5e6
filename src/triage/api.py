"""The library's entry points: train a model, load one, or get the default model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from pathlib import Path

from triage import config
from triage.errors import LabelError, ModelError, TriageError
from triage.labelling.files import load_labels, labels_digest
from triage.model import (
    Evaluation,
    Model,
    ModelSettings,
    cross_validate,
    fit,
    label_counts,
)

Note = Callable[[str], None]


def train(
    labels_dir: str | Path | None = None,
    *,
    settings: ModelSettings | None = None,
    evaluate: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Model, Evaluation | None]:
    """Train a model on every label under ``labels_dir``.

    Parameters
    ----------
    labels_dir
        Folder of label files; the project's ``labels/`` by default.
    settings
        Pipeline settings; the shipped defaults if omitted.
    evaluate
        Also run leave-one-article-out cross-validation and store its figures
        in the model's metadata.
    progress
        Called with (folds done, folds) as the cross-validation goes.

    Returns
    -------
    tuple
        The fitted model and the cross-validation figures (``None`` when not
        evaluated or when there is only one labelled article).

    Raises
    ------
    LabelError
        The labels are missing or invalid.
    """
    labels_dir = Path(labels_dir) if labels_dir is not None else config.labels_dir()
    settings = settings or ModelSettings()
    articles = load_labels(labels_dir)
    pages = _labelled_pages(labels_dir)  # a bad page is found before minutes of cross-validation, not after
    evaluation = None
    threshold = 0.5
    if evaluate and sum(1 for a in articles if a.labels) >= 2:
        result = cross_validate(articles, settings, progress=progress)
        evaluation = result.evaluation
        threshold = result.boilerplate_threshold()
    pipeline = fit(articles, settings)
    metadata = {
        "labels": [str(c) for c in pipeline.classes_],
        "label_counts": label_counts(articles),
        "n_articles": sum(1 for a in articles if a.labels),
        "labels_dir": str(labels_dir.resolve()),
        "labels_sha256": labels_digest(articles),
        "settings": asdict(settings),
        "cross_validation": evaluation.as_dict() if evaluation else None,
        "boilerplate_threshold": threshold,
    }
    model = Model(pipeline=pipeline, metadata=metadata)
    _add_html_stage(model, labels_dir, pages)
    return model, evaluation


def _pages_digest(pages_dir: Path) -> str | None:
    """SHA-256 over the labelled pages' names and bytes (``None`` without a pages folder)."""
    import hashlib

    if not pages_dir.is_dir():
        return None
    sha = hashlib.sha256()
    for path in sorted(pages_dir.rglob("*.html")):
        sha.update(path.relative_to(pages_dir).as_posix().encode() + b"\0")
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def _labelled_pages(labels_dir: Path) -> list:
    """The labelled pages of ``labels_dir/html/*.html`` (none without that folder)."""
    from triage.html import load_pages

    pages_dir = labels_dir / config.HTML_PAGES
    return [page for _, page in load_pages(pages_dir)] if pages_dir.is_dir() else []


def _add_html_stage(model: Model, labels_dir: Path, pages: list) -> None:
    """Fit the HTML stage on the labelled ``pages`` (two or more) into the model's metadata."""
    from triage.html import train_stage

    pages_dir = labels_dir / config.HTML_PAGES
    if len(pages) < 2:
        return
    try:
        fitted = train_stage(model, pages)
    except LabelError as exc:
        raise LabelError(f"{pages_dir}: {exc}") from None
    model.metadata["html_stage"] = fitted.stage.to_data()
    model.metadata["html_cross_validation"] = fitted.figures
    model.metadata["html_pages_sha256"] = _pages_digest(pages_dir)


def load_model(
    path: str | Path | None = None,
    *,
    force: bool = False,
    trust_pickle: bool = False,
    note: Note | None = None,
) -> Model:
    """Load a model file, or the default model.

    Parameters
    ----------
    path
        A model file. When omitted, the default model is used
        (:func:`triage.config.default_model_path`: the checkout's
        ``models/triage.joblib`` for an editable install, else the per-user
        cache folder), and built from the labels (then cached there) if it
        does not exist yet, cannot be read, or was built automatically from
        labels that have changed since.
    force
        With ``trust_pickle``, load a pickle saved by another scikit-learn version.
    trust_pickle
        Load a pickle-based model file (formats 1 and 2, from triage before
        data model files), which runs code from the file: only for a file you
        made yourself.
    note
        Called with a one-line message when the default model is (re)built.

    Returns
    -------
    Model
        The loaded (or built) model.

    Raises
    ------
    ModelError
        An explicit ``path`` is missing or not a usable model.
    """
    from triage.persist import load_model_file

    if path is not None:
        return load_model_file(path, force=force, trust_pickle=trust_pickle)
    return _default_model(note or (lambda message: None), trust_pickle=trust_pickle)


def _default_model(note: Note, *, trust_pickle: bool = False) -> Model:
    from triage.persist import load_model_file, save_model

    path = config.default_model_path()
    labels_dir = config.labels_dir()
    reason = f"no model at {path}"
    if path.is_file():
        try:
            model = load_model_file(path, trust_pickle=trust_pickle)
        except ModelError as exc:
            reason = f"{exc.path}: {exc.problem}"
        else:
            if not _is_stale(model, labels_dir):
                return model
            if not model.metadata.get("auto_built"):
                note(f"labels in {labels_dir} changed since {path} was trained; run 'triage train'")
                return model
            reason = f"labels in {labels_dir} changed since {path} was built"
    note(f"{reason}: building the default model from {labels_dir} (some seconds)")
    model, _ = train(labels_dir, evaluate=False)
    model.metadata["auto_built"] = True
    try:
        save_model(model, path)
    except ModelError as exc:
        note(f"could not cache the default model: {exc}")
    return model


def labels_model(labels_dir: str | Path, *, note: Note | None = None) -> Model:
    """A model trained on ``labels_dir``, cached per content of its labels.

    ``triage label --labels DIR`` suggests with it: the suggestions come from
    the folder being labelled, not from the project's labels. The model is
    kept in :func:`triage.config.cache_dir` under the SHA-256 of the labelled
    paragraphs, so a later session on the same labels starts at once, and a
    changed folder gets a model of its own.

    Raises
    ------
    LabelError
        The folder holds no usable labels.
    """
    from triage.persist import load_model_file, save_model

    labels_dir = Path(labels_dir)
    note = note or (lambda message: None)
    articles = load_labels(labels_dir)
    digest = labels_digest(articles)
    pages = _pages_digest(labels_dir / config.HTML_PAGES) or ""
    path = config.cache_dir() / "label-models" / f"{digest[:16]}{pages[:8]}.joblib"
    if path.is_file():
        try:
            return load_model_file(path)
        except ModelError:  # another version of triage wrote it: build it again
            pass
    n = sum(1 for a in articles if a.labels)
    note(f"training a model on the {n} labelled articles of {labels_dir} (once: it is cached for later sessions)")
    model, _ = train(labels_dir, evaluate=False)
    try:
        save_model(model, path)
    except ModelError as exc:
        note(f"could not cache the model: {exc}")
    return model


def _is_stale(model: Model, labels_dir: Path) -> bool:
    """True when the model was trained on ``labels_dir`` and those labels changed since."""
    if model.metadata.get("labels_dir") != str(labels_dir.resolve()):
        return False
    try:
        current = labels_digest(load_labels(labels_dir))
        pages = _pages_digest(labels_dir / config.HTML_PAGES)
    except (TriageError, OSError):  # invalid labels: keep the working model rather than fail here
        return False
    return current != model.metadata.get("labels_sha256") or pages != model.metadata.get("html_pages_sha256")
