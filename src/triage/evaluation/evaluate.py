"""Honest figures: the model and its baselines, measured side by side in one run.

:func:`evaluate_labels` cross-validates on the labelled articles with whole
articles held out, and scores three baselines on the same held-out articles:

* ``majority``: every paragraph gets the label most frequent in the training
  articles;
* ``length_rule``: a paragraph of fewer than ten words is ``boilerplate``, any
  other gets the training articles' most frequent story label;
* ``justext``: jusText's paragraph classifier, run on each article's plain
  text with every paragraph wrapped in ``<p>``; what it calls boilerplate is
  ``boilerplate``, the rest the most frequent story label.

The two rules only know boilerplate from the rest; their four-class figures
show what knowing only that is worth.

Real text (the benchmark folders) is scored in :mod:`triage.evaluation.benchmarks`.

Everything returned is plain data (dicts, lists, floats), ready for JSON.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from triage import config
from triage.config import LABELS
from triage.evaluation.baselines import keep_min_words
from triage.labelling.files import LabelledArticle, load_labels
from triage.model import Model, ModelSettings, cross_validate, score

BASELINES = ("majority", "length_rule", "justext")


def _story_label(labels: Sequence[str]) -> str:
    """The most frequent label that is not boilerplate (ties: the guide's order)."""
    counts = Counter(label for label in labels if label != "boilerplate")
    if not counts:
        return "attack"
    return max(LABELS[:3], key=lambda label: (counts[label], -LABELS.index(label)))


def _majority(labels: Sequence[str]) -> str:
    counts = Counter(labels)
    return max(LABELS, key=lambda label: (counts[label], -LABELS.index(label)))


def is_seed(article: LabelledArticle) -> bool:
    """True for one of the project's seed articles (real reports, kept in ``seeds/``).

    A seed's label file carries a copy of its text beside it, so a copied labels
    folder still finds it; the copy is a seed when ``seeds/`` holds that name.
    """
    path = article.article_path
    return path.parent.name == "seeds" or (config.seeds_dir() / path.name).is_file()


def _rule_predictions(
    articles: list[LabelledArticle], keep: Callable[[list[str]], list[bool]], story: dict[str, str]
) -> list[str]:
    """Predictions of a keep/drop rule, article by article, in dataset order."""
    out = []
    for article in articles:
        kept = keep(article.texts)
        for index in sorted(article.labels):
            out.append(story[article.name] if kept[index] else "boilerplate")
    return out


def _justext_keep(texts: list[str]) -> list[bool]:
    from triage.evaluation.baselines import justext_keep

    return justext_keep(texts)


def baseline_predictions(articles: list[LabelledArticle], name: str) -> list[str]:
    """Leave-one-article-out predictions of a baseline, in :func:`~triage.model.dataset` order.

    The labels a baseline falls back on (the majority label, the most frequent
    story label) are taken from the other articles only.
    """
    labelled = [a for a in articles if a.labels]
    everything = [label for a in labelled for label in a.labels.values()]
    held_out = {}
    for article in labelled:
        rest = Counter(everything)
        rest.subtract(article.labels.values())
        held_out[article.name] = list(rest.elements())
    if name == "majority":
        return [
            _majority(held_out[a.name]) for a in labelled for _ in sorted(a.labels)
        ]
    story = {a.name: _story_label(held_out[a.name]) for a in labelled}
    if name == "length_rule":
        return _rule_predictions(labelled, keep_min_words, story)
    if name == "justext":
        return _rule_predictions(labelled, _justext_keep, story)
    raise ValueError(f"unknown baseline {name!r}")


MIN_SCORES = (0.5, 0.6, 0.7, 0.8, 0.9)


def expected_calibration_error(best: np.ndarray, right: np.ndarray, *, bins: int = 10) -> float:
    """Mean gap between score and accuracy over ``bins`` equal-width score bins, weighted by size."""
    best = np.asarray(best, dtype=float)
    right = np.asarray(right, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(best, edges[1:-1]), 0, bins - 1)
    return float(
        sum(
            abs(right[which == b].mean() - best[which == b].mean()) * np.mean(which == b)
            for b in range(bins)
            if np.any(which == b)
        )
    )


def calibration(probabilities: np.ndarray, truth: Sequence[str], *, bins: int = 10) -> dict[str, Any]:
    """How far the scores can be taken at their word, from out-of-fold probabilities.

    Returns
    -------
    dict
        ``ece``: expected calibration error of the best score (``bins`` equal-width
        bins; 0 means a paragraph scored 0.8 is right 80% of the time); ``brier``:
        the multi-class Brier score; ``abstain``: for each ``--min-score`` in
        :data:`MIN_SCORES`, the share of paragraphs that keep a label (``coverage``)
        and the accuracy among them.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    truth_index = np.array([LABELS.index(t) for t in truth])
    best = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == truth_index
    ece = expected_calibration_error(best, right, bins=bins)
    onehot = np.eye(len(LABELS))[truth_index]
    abstain = []
    for threshold in MIN_SCORES:
        labelled = best >= threshold
        abstain.append(
            {
                "min_score": threshold,
                "coverage": float(labelled.mean()),
                "accuracy": float(right[labelled].mean()) if labelled.any() else 0.0,
            }
        )
    return {
        "ece": float(ece),
        "brier": float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1))),
        "abstain": abstain,
    }


def evaluate_labels(
    labels_dir: str | Path,
    *,
    settings: ModelSettings | None = None,
    baselines: Sequence[str] = BASELINES,
    n_jobs: int | None = -1,
) -> dict[str, Any]:
    """Leave-one-article-out figures of the model and the baselines on the labels.

    Returns
    -------
    dict
        ``model`` (all held-out paragraphs), ``model_on_seeds`` (the same
        predictions, counted on the seed articles only), ``seeds_alone`` (a
        cross-validation that trains on the seed articles only, when there are
        other articles too), ``baselines`` (name to figures), each an
        :class:`~triage.model.Evaluation` as a dict; ``boilerplate_threshold``,
        the drop threshold :func:`~triage.api.train` would store; and
        ``labels_dir``, ``n_articles``, ``n_paragraphs``, ``seconds``.
    """
    started = time.perf_counter()
    articles = [a for a in load_labels(labels_dir) if a.labels]
    result = cross_validate(articles, settings, n_jobs=n_jobs)
    truth = result.data.labels
    out: dict[str, Any] = {
        "labels_dir": str(labels_dir),
        "n_articles": len(articles),
        "n_paragraphs": len(truth),
        "model": result.evaluation.as_dict(),
    }
    seeds = {a.name for a in articles if is_seed(a)}
    if seeds and len(seeds) < len(articles):
        out["model_on_seeds"] = result.on(seeds).as_dict()
        if len(seeds) >= 2:
            alone = cross_validate([a for a in articles if a.name in seeds], settings, n_jobs=n_jobs)
            out["seeds_alone"] = alone.evaluation.as_dict()
    out["boilerplate_threshold"] = result.boilerplate_threshold()
    out["calibration"] = calibration(result.probabilities, truth)
    out["baselines"] = {
        name: score(
            truth, baseline_predictions(articles, name), labels=list(LABELS), n_articles=len(articles)
        ).as_dict()
        for name in baselines
    }
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def model_keep(model: Model, lines: Sequence[str], threshold: float | None = None) -> list[bool]:
    """Which lines of a page ``classify --drop boilerplate`` keeps (one paragraph per line).

    A line is dropped when the model labels it ``boilerplate`` with a probability
    of at least ``threshold`` (the model's stored threshold by default); lines
    with nothing visible are dropped without asking the model.
    """
    threshold = model.drop_threshold if threshold is None else threshold
    return [not (p >= threshold and top) for p, top in model.line_scores(lines)]


def plot_confusion(figures: dict[str, Any], path: str | Path, *, title: str) -> Path:
    """Draw a confusion matrix (an Evaluation as a dict) to a PNG file."""
    from triage.errors import MissingExtra

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtra("drawing the plot", "eval") from None
    from sklearn.metrics import ConfusionMatrixDisplay

    from triage._atomic import atomic_write

    path = Path(path)
    display = ConfusionMatrixDisplay(np.asarray(figures["confusion"]), display_labels=figures["labels"])
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    display.plot(ax=ax, cmap="Blues", colorbar=False, xticks_rotation=30)
    ax.set_title(title)
    fig.tight_layout()
    atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=120), binary=True)
    plt.close(fig)
    return path
