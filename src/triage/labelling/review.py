"""Keeping labels clean: ``triage labels check`` and ``triage labels stats``.

- :func:`check_labels`: every file validated as the loader does, identical
  paragraph texts with different labels, and likely mislabels found by
  confident learning on out-of-fold probabilities.
- :func:`label_stats`: counts per class and per article.
"""


from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from triage.config import LABELS
from triage.errors import LabelError
from triage.labelling.files import LabelledArticle, check_label_file, label_files, shown_path
from triage.text import normalise_space


@dataclass
class CheckReport:
    """What ``triage labels check`` found: errors make the labels unusable, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    articles: list[LabelledArticle] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    """Paragraphs marked unsure, with their notes: not errors, but not labels either."""


def conflicting_texts(articles: list[LabelledArticle], labels_dir: Path) -> list[str]:
    """Identical paragraph texts (case and spacing aside) given different labels."""
    seen: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for article in articles:
        for index, label in article.labels.items():
            key = normalise_space(article.paragraphs[index].text).casefold()
            seen[key].append((shown_path(article.label_path, labels_dir), index, label))
    out = []
    for key, places in seen.items():
        labels = Counter(label for _, _, label in places)
        if len(labels) < 2:
            continue
        where = "; ".join(f"{path} #{index}: {label}" for path, index, label in places[:6])
        more = f" and {len(places) - 6} more" if len(places) > 6 else ""
        out.append(f"same text, different labels ({where}{more}): {key[:60]!r}")
    return out


@dataclass(frozen=True)
class Suspect:
    """A labelled paragraph that the out-of-fold model reads as another label."""

    article: LabelledArticle
    index: int
    label: str
    own_probability: float
    other: str
    other_probability: float


def mislabel_suspects(articles: list[LabelledArticle], *, folds: int = 10) -> list[Suspect]:
    """Paragraphs whose out-of-fold probability for their own label is unusually low.

    Confident learning: for each label, the threshold is the mean out-of-fold
    probability of that label among the paragraphs that carry it. A paragraph
    is suspect when its own label's probability is below that label's threshold
    while another label's probability reaches *its* threshold; suspects are
    listed least self-confident first. The folds hold out whole articles.
    """
    import numpy as np

    from triage.model import cross_validate

    result = cross_validate(articles, folds=folds)
    y = np.asarray(result.data.labels)
    proba = result.probabilities
    column = {label: i for i, label in enumerate(LABELS)}
    thresholds = np.array(
        [proba[y == label, i].mean() if (y == label).any() else 1.0 for i, label in enumerate(LABELS)]
    )
    own = proba[np.arange(len(y)), [column[label] for label in y]]
    rows = []
    for i, label in enumerate(y):
        above = [
            j for j in range(len(LABELS)) if j != column[label] and proba[i, j] >= thresholds[j]
        ]
        if own[i] < thresholds[column[label]] and above:
            best = max(above, key=lambda j: proba[i, j])
            rows.append((own[i], i, LABELS[best], proba[i, best]))
    rows.sort()
    by_position = _positions(articles)
    return [
        Suspect(by_position[i][0], by_position[i][1], str(y[i]), float(own_p), other, float(other_p))
        for own_p, i, other, other_p in rows
    ]


def likely_mislabels(articles: list[LabelledArticle], labels_dir: Path, *, folds: int = 10) -> list[str]:
    """:func:`mislabel_suspects` as lines: file, paragraph, both labels and the text."""
    return [
        f"{shown_path(s.article.label_path, labels_dir)} #{s.index}: labelled {s.label} "
        f"({s.own_probability:.2f}), looks like {s.other} ({s.other_probability:.2f}): "
        f"{s.article.paragraphs[s.index].text[:60]!r}"
        for s in mislabel_suspects(articles, folds=folds)
    ]


def _positions(articles: list[LabelledArticle]) -> list[tuple[LabelledArticle, int]]:
    """Article and paragraph of each labelled sample, in :func:`triage.model.dataset` order."""
    from triage.model import dataset

    by_name = {a.name: a for a in articles}
    data = dataset(articles)
    return [(by_name[g], s.index) for g, s in zip(data.groups, data.samples)]


def check_labels(labels_dir: Path, *, mislabels: bool = True, folds: int = 10) -> CheckReport:
    """Run every check on a labels folder; see :class:`CheckReport`."""
    report = CheckReport()
    try:
        files = label_files(labels_dir)
    except LabelError as exc:
        report.errors.append(str(exc))
        return report
    for path in files:
        article, problems = check_label_file(path, labels_dir)
        report.errors.extend(problems)
        if article is not None and not problems:
            report.articles.append(article)
            for index, note in sorted(article.unsure.items()):
                text = article.paragraphs[index].text[:60]
                report.unsure.append(
                    f"{shown_path(path, labels_dir)} #{index}: {text!r}" + (f" (note: {note})" if note else "")
                )
    report.errors.extend(conflicting_texts(report.articles, labels_dir))
    labelled = [a for a in report.articles if a.labels]
    kinds = {label for a in labelled for label in a.labels.values()}
    if mislabels and not report.errors and len(labelled) >= 2 and len(kinds) >= 2:
        report.warnings.extend(likely_mislabels(labelled, labels_dir, folds=folds))
    return report


def label_stats(articles: list[LabelledArticle], labels_dir: Path) -> list[dict]:
    """One row per article: its name, paragraphs, labelled paragraphs and counts per label."""
    rows = []
    for article in articles:
        counts = Counter(article.labels.values())
        rows.append(
            {
                "article": shown_path(article.label_path, labels_dir),
                "paragraphs": len(article.paragraphs),
                "labelled": len(article.labels),
                **{label: counts.get(label, 0) for label in LABELS},
                "unsure": len(article.unsure),
            }
        )
    return rows
