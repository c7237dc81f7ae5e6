"""Is labelling more worth it? A learning curve on the user's own articles.

:func:`learning_curve` trains on the shipped labels plus the first 0, 5, 10, ...
of the user's own labelled articles and scores each model on own articles it
never saw. Leave-one-article-out at every step would fit one model per own
article per step, and a fit takes seconds to tens of seconds; so the own
articles are split into K article-grouped folds instead (whole articles, K=5
by default; with K equal to the number of own articles it *is*
leave-one-article-out). For each fold the model trains on the shipped labels
plus the first n of the *other* own articles, in one fixed seeded shuffled
order, and predicts that fold's articles; a step's figures are over the pooled
out-of-fold predictions of every own article.

The models are fitted as ``triage train`` fits the shipped one
(:func:`triage.model.fit`: the same pipeline and settings), without the
cross-validation that train runs only to report figures and to choose the drop
threshold (neither changes a label) and without the HTML stage. They are never
saved.

Everything returned is plain data, ready for JSON.
"""

from __future__ import annotations

import errno
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from triage.config import LABELS, RANDOM_STATE
from triage.errors import ArgumentError, InputError, LabelError, MissingExtra
from triage.labelling.files import LabelledArticle, load_labels
from triage.model import ModelSettings, dataset, fit, score

DEFAULT_STEPS = (0, 5, 10, 20, 40, 80)
"""Own articles to add to the shipped labels, step by step."""
DEFAULT_FOLDS = 5
DEFAULT_OWN_WEIGHT = 1.0
"""Sample weight of an own paragraph, a shipped one weighing 1 (see the README's measurement)."""
METHOD = "article-grouped K-fold over the own articles"
_OWN_FIX = "give a labels folder (<name>.csv with <name>.txt) or a benchmark folder (pages/*.txt and gold.csv)"


def parse_steps(text: str) -> list[int]:
    """``"0,5,10"`` as ``[0, 5, 10]``: counts of own articles, sorted, each once.

    Raises
    ------
    ArgumentError
        An item is not a whole number of at least 0.
    """
    steps = []
    for item in text.split(","):
        if not re.fullmatch(r"\s*\d+\s*", item, flags=re.ASCII):
            raise ArgumentError(
                f"`steps`: {item.strip()!r} is not a whole number of articles; expected counts such as 0,5,10,20"
            )
        steps.append(int(item))
    return sorted(set(steps))


def load_own(path: str | Path) -> tuple[list[LabelledArticle], str]:
    """The user's labelled articles, from a labels folder or a benchmark folder.

    Returns
    -------
    tuple
        The articles with at least one label, and the folder's layout:
        ``"benchmark"`` (``pages/<id>.txt``, one paragraph per line, and
        ``gold.csv``; :func:`triage.evaluation.benchmarks.labelled_articles`) or ``"labels"``
        (``<name>.csv`` beside ``<name>.txt`` or in ``seeds/`` next to the folder).

    Raises
    ------
    InputError
        No such folder, or a benchmark whose labels are content/boilerplate.
    LabelError
        A labels folder with no label files, or a broken one.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"`own` {folder}: no such folder; {_OWN_FIX}")
    if (folder / "gold.csv").is_file() or (folder / "pages").is_dir():
        from triage.evaluation.benchmarks import labelled_articles

        return labelled_articles(folder), "benchmark"
    return [article for article in load_labels(folder) if article.labels], "labels"


def _labelled(article: LabelledArticle) -> list[str]:
    """The article's labels in :func:`~triage.model.dataset` order."""
    return [article.labels[i] for i in range(len(article.texts)) if i in article.labels]


def _refuse_overlap(shipped: list[LabelledArticle], own: list[LabelledArticle]) -> None:
    """An own article that is also a shipped one would be tested after training on it."""
    shipped_texts = {tuple(article.texts): article.name for article in shipped}
    for article in own:
        twin = shipped_texts.get(tuple(article.texts))
        if twin is not None:
            raise LabelError(
                f"own article {article.name} is also in the shipped labels (as {twin}), so it would be "
                "tested after training on it; leave it out of one of the folders"
            )


def _fit_and_predict(
    shipped: list[LabelledArticle],
    own: list[LabelledArticle],
    train: tuple[int, ...],
    test: list[int],
    own_weight: float,
    settings: ModelSettings | None,
) -> tuple[dict[int, list[str]], list[str]]:
    """Fit on the shipped articles plus ``own[train]``; predict the labelled paragraphs of ``own[test]``.

    Returns the predictions by own article and the names of the own articles
    the model was trained on.
    """
    chosen = [own[i] for i in train]
    weights = None  # unweighted, as triage train fits, when there is nothing to weigh
    if chosen and own_weight != 1.0:
        weights = [1.0] * len(shipped) + [own_weight] * len(chosen)
    pipeline = fit(shipped + chosen, settings, article_weights=weights)
    held_out = [own[i] for i in test]
    predicted = [str(label) for label in pipeline.predict(dataset(held_out).samples)]
    by_article, start = {}, 0
    for i, article in zip(test, held_out):
        n = len(_labelled(article))
        by_article[i] = predicted[start : start + n]
        start += n
    return by_article, [article.name for article in chosen]


def learning_curve(
    shipped_dir: str | Path,
    own: str | Path,
    steps: Sequence[int] = DEFAULT_STEPS,
    folds: int = DEFAULT_FOLDS,
    own_weight: float = DEFAULT_OWN_WEIGHT,
    *,
    settings: ModelSettings | None = None,
    seed: int = RANDOM_STATE,
    n_jobs: int | None = -1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Figures on the user's own articles with 0, 5, 10, ... of them added to the shipped labels.

    Article-grouped K-fold cross-validation over the own articles (K =
    ``folds``, at most one fold per article; with one fold per article it is
    leave-one-article-out): the own articles are shuffled once (``seed``) and
    dealt round-robin into the folds. For each fold and step ``n`` a model is
    trained on the shipped labels plus the first ``n`` own articles of that
    order outside the fold, and predicts the fold's articles, so no own article
    is ever trained on and tested by the same model. A step asking for more
    articles than a fold has to train on is capped to what it has. Models
    whose training articles are the same (every fold at step 0, a capped step)
    are fitted once.

    Parameters
    ----------
    shipped_dir
        The labels always trained on (the project's ``labels/``).
    own
        The user's labelled articles: a labels folder or a benchmark folder
        with paragraph labels (see :func:`load_own`).
    steps
        Own articles to train on, step by step (each at least 0).
    folds
        Article-grouped folds (at least 2).
    own_weight
        Sample weight of an own paragraph, a shipped paragraph weighing 1.
    settings
        Pipeline settings; the shipped defaults if omitted.
    seed
        Seed of the order the own articles are dealt into folds and added in.
    n_jobs
        Models fitted at once (joblib; ``-1`` for one per core). The figures do
        not depend on it.
    progress
        Called with (models fitted, models to fit) as they finish.

    Returns
    -------
    dict
        ``method``, ``folds`` (and ``folds_asked``), ``loao`` (one fold per own
        article), ``own_weight``, ``seed``, the folders and their article and
        paragraph counts, ``fits``, ``seconds``, and ``steps``: one row per step
        with ``step`` (asked), ``own_articles`` and ``own_paragraphs`` (trained
        on, per fold), ``capped``, ``figures`` (an
        :class:`~triage.model.Evaluation` as a dict, over every own paragraph)
        and ``folds`` (per fold, the ``test`` and ``train`` own article names).

    Raises
    ------
    ArgumentError
        No step, a negative step, fewer than 2 folds or a weight not above 0.
    InputError
        ``own`` is not a folder, or not one with triage's labels.
    LabelError
        Fewer than 2 labelled own articles, broken labels, or an own article
        that is also a shipped one.
    """
    started = time.perf_counter()
    steps = sorted(set(int(n) for n in steps))
    if not steps or steps[0] < 0:
        raise ArgumentError(f"`steps`: got {steps}; expected counts of own articles of at least 0, such as 0,5,10,20")
    if folds < 2:
        raise ArgumentError(f"`folds` {folds}: a learning curve needs at least 2 folds")
    if not own_weight > 0:
        raise ArgumentError(
            f"`own_weight` {own_weight}: expected a weight above 0 (1 weighs an own paragraph like a shipped one)"
        )
    own_dir, shipped_dir = Path(own), Path(shipped_dir)
    own_articles, layout = load_own(own_dir)
    if len(own_articles) < 2:
        raise LabelError(
            f"`own` {own_dir}: {len(own_articles)} labelled article(s); a learning curve needs at least 2 "
            "(one to test on while another is trained on); label more articles"
        )
    shipped = [article for article in load_labels(shipped_dir) if article.labels]
    _refuse_overlap(shipped, own_articles)

    order = [int(i) for i in np.random.default_rng(seed).permutation(len(own_articles))]
    n_folds = min(folds, len(own_articles))
    tests = [order[k::n_folds] for k in range(n_folds)]
    trains = [[i for i in order if i not in test] for test in map(set, tests)]
    needed: dict[tuple[int, ...], set[int]] = {}
    for n in steps:
        for test, train in zip(tests, trains):
            needed.setdefault(tuple(train[:n]), set()).update(test)
    keys = sorted(needed, key=lambda key: (len(key), key))
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_and_predict)(shipped, own_articles, key, sorted(needed[key]), own_weight, settings)
        for key in keys
    )
    predictions, trained_on = {}, {}
    for done, (key, (by_article, names)) in enumerate(zip(keys, results), start=1):
        predictions[key], trained_on[key] = by_article, names
        if progress is not None:
            progress(done, len(keys))

    rows = []
    for n in steps:
        truth, predicted, fold_rows = [], [], []
        for test, train in zip(tests, trains):
            key = tuple(train[:n])
            for i in test:
                truth.extend(_labelled(own_articles[i]))
                predicted.extend(predictions[key][i])
            fold_rows.append({"test": [own_articles[i].name for i in test], "train": trained_on[key]})
        used = [min(n, len(train)) for train in trains]
        rows.append(
            {
                "step": n,
                "capped": any(u < n for u in used),
                "own_articles": used,
                "own_paragraphs": [sum(len(_labelled(own_articles[i])) for i in train[:n]) for train in trains],
                "figures": score(truth, predicted, labels=list(LABELS), n_articles=len(own_articles)).as_dict(),
                "folds": fold_rows,
            }
        )
    return {
        "method": METHOD,
        "folds": n_folds,
        "folds_asked": folds,
        "loao": n_folds == len(own_articles),
        "own_weight": float(own_weight),
        "seed": seed,
        "shipped": str(shipped_dir),
        "shipped_articles": len(shipped),
        "shipped_paragraphs": sum(len(_labelled(article)) for article in shipped),
        "own": str(own_dir),
        "own_layout": layout,
        "own_articles": len(own_articles),
        "own_paragraphs": sum(len(_labelled(article)) for article in own_articles),
        "fits": len(keys),
        "steps": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }


PLOT_FORMATS = ("png", "svg")


def check_plot(path: str | Path) -> str:
    """What :func:`plot_learning_curve` would refuse, found before any model is fitted.

    Returns
    -------
    str
        The file format, ``"png"`` or ``"svg"``, from the name.

    Raises
    ------
    ArgumentError
        ``path`` ends in neither ``.png`` nor ``.svg``.
    MissingExtra
        matplotlib is not installed.
    OutputError
        ``path`` is a folder, or its folder does not exist.
    """
    from triage._atomic import write_error

    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in PLOT_FORMATS:
        raise ArgumentError(f"`plot` {path}: expected a file name ending in .png or .svg")
    if path.is_dir():
        raise write_error(path, IsADirectoryError(errno.EISDIR, "is a folder"), fix="give a file name")
    if not path.parent.is_dir():
        raise write_error(path, FileNotFoundError(errno.ENOENT, "no folder"), fix="give a writable path")
    try:
        import matplotlib  # noqa: F401  (the eval extra)
    except ImportError:
        raise MissingExtra("a plot", "eval") from None
    return kind


def plot_learning_curve(result: dict[str, Any], path: str | Path) -> Path:
    """Draw macro-F1 and per-class F1 against the own articles trained on, to a PNG or SVG file.

    Raises
    ------
    ArgumentError, MissingExtra, OutputError
        As :func:`check_plot`; OutputError also when the file cannot be written.
    """
    from triage._atomic import atomic_write, write_error

    path = Path(path)
    kind = check_plot(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["steps"]
    x = [float(np.mean(row["own_articles"])) for row in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x, [row["figures"]["macro_f1"] for row in rows], marker="o", linewidth=2.5, color="black", label="macro-F1")
    for label in LABELS:
        if any(row["figures"]["support"][label] for row in rows):
            ax.plot(x, [row["figures"]["f1"][label] for row in rows], marker=".", linestyle="--", label=f"F1 {label}")
    ax.set_xlabel("own articles trained on (mean over folds), besides the shipped labels")
    ax.set_ylabel("F1 on the own articles (out of fold)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(
        f"{Path(result['own']).name}: {result['folds']}-fold article-grouped CV, own weight {result['own_weight']:g}",
        fontsize=10,
    )
    fig.tight_layout()
    try:
        atomic_write(path, lambda handle: fig.savefig(handle, format=kind, dpi=120), binary=True)
    except OSError as exc:
        raise write_error(path, exc, fix="give a writable path") from None
    finally:
        plt.close(fig)
    return path
