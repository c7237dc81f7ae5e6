"""Building, training and evaluating the paragraph classifier.

The model is one scikit-learn :class:`~sklearn.pipeline.Pipeline`: names and
numbers masked, then word and character TF-IDF plus layout features, into a
logistic regression. Nothing here prints, exits or touches a path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from triage.config import LABELS, RANDOM_STATE, UNCERTAIN
from triage.errors import LabelError
from triage.features import CharNgrams, Context, CueFeatures, LayoutFeatures, NameMasker, WordNgrams, contexts
from triage.labelling.files import LabelledArticle
from triage.leftovers import LeftoversThenStory
from triage.neighbours import NeighbourPass, proba_in
from triage.text import Paragraph, split_paragraphs


@dataclass(frozen=True)
class ModelSettings:
    """The knobs of the pipeline; the defaults are the shipped model's."""

    C: float = 1.0
    class_weight: str | None = "balanced"
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (3, 4)
    min_df: int = 2
    min_articles: int = 1
    """Articles an n-gram must occur in to be a feature."""
    layout: bool = True
    cues: bool = True
    neighbours: bool = True
    neighbour_C: float = 1.0
    two_stage: bool = False
    """Decide boilerplate apart from the story labels, on shape and furniture markers
    only (:class:`~triage.leftovers.LeftoversThenStory`), so a body paragraph on a
    topic the labels never cover is not taken for a leftover. Off by default: with
    the shipped labels it keeps more content but also more page furniture (grouped
    8-fold CV macro-F1 0.846 against 0.860, wcxb body F1 0.883 against 0.892, aeb
    0.821 against 0.839); select_settings.py compares the two."""
    marker_ratio: float = 3.0
    leftovers_on: str = "shape"
    story_layout: bool = False
    story_copies: int = 400
    """Also train on a copy of each article holding its story paragraphs only
    (:func:`dataset`), for at most this many articles (0: none; past it, a
    spread of them: 400 copies are enough to show stories with nothing around
    them, and copying all of 5,000 articles made training 1.5x slower), so that
    a story with no page leftovers around it (a one-paragraph report, a story's
    last paragraph) is not read as leftovers for where it stands. Measured with 10-fold grouped CV on the 159 articles, each
    model at its own CV threshold for ``content_recall`` 0.99, without -> with
    the copies: CV macro-F1 0.860 -> 0.867; muc 0.634 -> 0.657; aeb body F1
    0.790 -> 0.818 (recall 0.986 -> 0.982); wcxb 0.879 -> 0.893 (recall 0.966
    -> 0.959). (Until the n-gram counts left the copies out of ``min_df`` and
    the IDF, a phrase of one story paragraph counted twice and was kept: 14,209
    word n-grams became 43,006. Counted once, 10-fold CV on 167 articles: muc
    0.624 -> 0.630, aeb 0.821 -> 0.820, wcxb 0.896 -> 0.894.)"""
    content_recall: float = 0.99
    """The share of the labelled content paragraphs (out of fold) that the drop
    threshold chosen by ``triage train`` keeps. Our own articles are easier than
    real pages: 0.98 here kept 0.975 of aeb's body words and 0.954 of wcxb's."""
    solver: str = "newton-cg"
    """The first pass's logistic-regression solver. newton-cg converges in about ten
    iterations at any size; lbfgs is 2x faster on 100,000 paragraphs and slower on the
    shipped labels, with the same cross-validated figures (select_settings.py)."""


def build_pipeline(settings: ModelSettings | None = None):
    """Return an unfitted classifier of :class:`~triage.features.Context` samples.

    The pipeline of features and logistic regression; with ``neighbours`` on,
    wrapped in a :class:`~triage.neighbours.NeighbourPass`.
    """
    settings = settings or ModelSettings()
    parts: list[tuple[str, Any]] = []
    # The layout block comes first and the cue block last: the two-stage classifier
    # finds its columns by these widths.
    if settings.layout:
        parts.append(("layout", Pipeline([("shape", LayoutFeatures()), ("scale", StandardScaler())])))
    parts.append(
        (
            "words",
            WordNgrams(
                ngram_range=settings.word_ngrams,
                min_df=settings.min_df,
                sublinear_tf=True,
                min_articles=settings.min_articles,
            ),
        )
    )
    if settings.char_ngrams:
        parts.append(
            (
                "chars",
                CharNgrams(
                    ngram_range=settings.char_ngrams,
                    min_df=settings.min_df,
                    sublinear_tf=True,
                    min_articles=settings.min_articles,
                ),
            )
        )
    if settings.cues:
        parts.append(("cues", Pipeline([("count", CueFeatures()), ("scale", StandardScaler())])))
    if settings.two_stage:
        classifier: Any = LeftoversThenStory(
            layout_width=len(LayoutFeatures().get_feature_names_out()) if settings.layout else 0,
            tail_width=len(CueFeatures().get_feature_names_out()) if settings.cues else 0,
            C=settings.C,
            story_C=settings.C,
            marker_ratio=settings.marker_ratio,
            leftovers_on=settings.leftovers_on,
            story_layout=settings.story_layout,
            class_weight=settings.class_weight,
            solver=settings.solver,
            random_state=RANDOM_STATE,
        )
    else:
        classifier = LogisticRegression(
            C=settings.C,
            class_weight=settings.class_weight,
            solver=settings.solver,
            max_iter=1000,
            random_state=RANDOM_STATE,
        )
    first = Pipeline([("mask", NameMasker()), ("features", FeatureUnion(parts)), ("classifier", classifier)])
    if settings.neighbours:
        return NeighbourPass(first, C=settings.neighbour_C, random_state=RANDOM_STATE, n_jobs=-1)
    return first


@dataclass(frozen=True)
class Dataset:
    """Labelled samples with the article each came from."""

    samples: list[Context]
    labels: list[str]
    groups: list[str]
    copies: list[bool] = field(default_factory=list)
    """True for a sample of a story copy (:func:`dataset`); empty when there are none."""

    def originals(self) -> Dataset:
        """The samples of the articles themselves, without the story copies."""
        if not any(self.copies):
            return self
        keep = [i for i, copy in enumerate(self.copies) if not copy]
        return Dataset(
            [self.samples[i] for i in keep], [self.labels[i] for i in keep], [self.groups[i] for i in keep]
        )


def _story(article: LabelledArticle) -> list[int]:
    """Indices of the story paragraphs of an article that has two or more and page leftovers too."""
    story = [i for i in sorted(article.labels) if article.labels[i] != "boilerplate"]
    if len(story) < 2 or len(story) == len(article.paragraphs):
        return []
    return story


def _copy_plan(articles: list[LabelledArticle], limit: int) -> list[tuple[int, list[int]]]:
    """The articles to copy (number, story paragraph indices): all that have a story, or ``limit`` spread among them."""
    if limit <= 0:
        return []
    plan = [(number, story) for number, article in enumerate(articles) if (story := _story(article))]
    if len(plan) > limit:
        plan = [plan[i] for i in np.unique(np.linspace(0, len(plan) - 1, limit).round().astype(int))]
    return plan


def dataset(articles: list[LabelledArticle], *, story_copies: int = 0) -> Dataset:
    """Turn labelled articles into samples; unlabelled paragraphs still give context.

    With ``story_copies`` (at most that many articles), the samples of each
    copied article's story copy follow those of every article: its story
    paragraphs alone, in order, with the same labels and group (an article with
    fewer than two story paragraphs, or with nothing but story, has none). A
    copy's paragraphs see only each other, so the model also learns from
    stories with nothing around them.
    """
    samples, labels, groups = [], [], []
    for number, article in enumerate(articles):
        for sample in contexts(article.texts, number):
            if sample.index in article.labels:
                samples.append(sample)
                labels.append(article.labels[sample.index])
                groups.append(article.name)
    copies = [False] * len(samples)
    for number, story in _copy_plan(articles, story_copies):
        article = articles[number]
        for sample, index in zip(contexts([article.texts[i] for i in story], -1 - number), story):
            samples.append(sample)
            labels.append(article.labels[index])
            groups.append(article.name)
            copies.append(True)
    return Dataset(samples, labels, groups, copies if any(copies) else [])


def _check_trainable(data: Dataset) -> None:
    if len(set(data.labels)) < 2:
        raise LabelError(
            f"the labels hold only {sorted(set(data.labels))}; label paragraphs of at least two types"
        )


@dataclass
class Evaluation:
    """Leave-one-article-out figures, as plain data for printing or JSON."""

    labels: list[str]
    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    support: dict[str, int]
    macro_f1: float
    accuracy: float
    confusion: list[list[int]]
    n_articles: int
    n_paragraphs: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score(y_true: list[str], y_pred: list[str], *, labels: list[str], n_articles: int) -> Evaluation:
    """Per-class precision, recall and F1, macro-F1, accuracy and the confusion matrix."""
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    present = [i for i, n in enumerate(support) if n > 0]
    return Evaluation(
        labels=list(labels),
        precision={lab: float(p) for lab, p in zip(labels, precision)},
        recall={lab: float(r) for lab, r in zip(labels, recall)},
        f1={lab: float(f) for lab, f in zip(labels, f1)},
        support={lab: int(s) for lab, s in zip(labels, support)},
        macro_f1=float(np.mean([f1[i] for i in present])) if present else 0.0,
        accuracy=float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if y_true else 0.0,
        confusion=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        n_articles=n_articles,
        n_paragraphs=len(y_true),
    )


@dataclass
class CrossValidation:
    """Out-of-fold results of leave-one-article-out cross-validation."""

    evaluation: Evaluation
    data: Dataset
    predicted: list[str]
    probabilities: np.ndarray
    """One row per labelled paragraph, one column per label in ``LABELS`` order."""
    content_recall: float = ModelSettings.content_recall
    """The settings' ``content_recall``: what :meth:`boilerplate_threshold` keeps by default."""

    def on(self, articles: set[str]) -> Evaluation:
        """The out-of-fold figures of the paragraphs of ``articles`` (names) only, e.g. the seeds."""
        mask = [group in articles for group in self.data.groups]
        return score(
            [t for t, m in zip(self.data.labels, mask) if m],
            [p for p, m in zip(self.predicted, mask) if m],
            labels=list(LABELS),
            n_articles=len(articles & set(self.data.groups)),
        )

    def boilerplate_threshold(self, *, content_recall: float | None = None) -> float:
        """The drop threshold these out-of-fold scores call for (:func:`choose_boilerplate_threshold`).

        ``content_recall`` defaults to the cross-validated settings'.
        """
        return choose_boilerplate_threshold(
            self.probabilities[:, LABELS.index("boilerplate")],
            np.asarray(self.data.labels) == "boilerplate",
            content_recall=self.content_recall if content_recall is None else content_recall,
        )


def _fold_probabilities(data: Dataset, train_idx, test_idx, settings) -> np.ndarray:
    """Fit on one fold's training articles; probabilities of its held-out paragraphs."""
    out = np.zeros((len(test_idx), len(LABELS)))
    train_labels = np.asarray(data.labels)[train_idx]
    if len(set(train_labels)) < 2:
        out[:, LABELS.index(train_labels[0])] = 1.0
        return out
    pipeline = build_pipeline(settings)
    _fit_pipeline(pipeline, data, rows=train_idx)
    return proba_in(LABELS, pipeline, [data.samples[i] for i in test_idx])


def cross_validate(
    articles: list[LabelledArticle],
    settings: ModelSettings | None = None,
    *,
    n_jobs: int | None = -1,
    progress: Callable[[int, int], None] | None = None,
    folds: int | None = None,
) -> CrossValidation:
    """Leave-one-article-out cross-validation: no article is on both sides of a split.

    ``n_jobs`` folds are fitted at once (joblib; ``-1``, the default, for one
    per core). The result does not depend on it. ``progress(done, total)`` is
    called as folds finish. ``folds`` asks for that many grouped folds (whole
    articles held out, fewer and faster) instead of one per article.

    Returns
    -------
    CrossValidation
        The figures, and the out-of-fold prediction and probabilities for every
        labelled paragraph in :func:`dataset` order.

    Raises
    ------
    LabelError
        Fewer than two labelled articles, or fewer than two labels.
    """
    settings = settings or ModelSettings()
    everything = dataset(articles, story_copies=settings.story_copies)
    _check_trainable(everything)
    data = everything.originals()
    n_groups = len(set(data.groups))
    if n_groups < 2:
        raise LabelError("cross-validation needs at least two labelled articles")
    y = np.asarray(data.labels)
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut  # not needed to classify

    splitter = LeaveOneGroupOut() if folds is None else GroupKFold(n_splits=min(folds, n_groups))
    # An article's story copy trains with it and is never tested: the originals come first.
    original = ~np.asarray(everything.copies, dtype=bool) if everything.copies else np.ones(len(y), dtype=bool)
    splits = [
        (train_idx, test_idx[original[test_idx]])
        for train_idx, test_idx in splitter.split(everything.samples, everything.labels, everything.groups)
    ]
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fold_probabilities)(everything, train_idx, test_idx, settings)
        for train_idx, test_idx in splits
    )
    probabilities = np.zeros((len(y), len(LABELS)))
    for done, ((_, test_idx), fold) in enumerate(zip(splits, results), start=1):
        probabilities[test_idx] = fold
        if progress is not None:
            progress(done, len(splits))
    predicted = [LABELS[i] for i in probabilities.argmax(axis=1)]
    labels = [lab for lab in LABELS if lab in set(data.labels) | set(predicted)]
    evaluation = score(data.labels, predicted, labels=labels, n_articles=n_groups)
    return CrossValidation(evaluation, data, predicted, probabilities, settings.content_recall)


def choose_boilerplate_threshold(
    p_boilerplate: np.ndarray, is_boilerplate: np.ndarray, *, content_recall: float = ModelSettings.content_recall
) -> float:
    """The lowest boilerplate probability to drop at that keeps ``content_recall`` of content.

    Content paragraphs whose out-of-fold boilerplate probability reaches the
    threshold would be dropped; at most ``1 - content_recall`` of them may be.
    The threshold is never below 0.5, so a dropped paragraph is always one the
    model labels ``boilerplate``.
    """
    content = np.sort(np.asarray(p_boilerplate)[~np.asarray(is_boilerplate, dtype=bool)])[::-1]
    allowed = int(np.floor((1 - content_recall) * len(content)))
    if len(content) == 0 or allowed >= len(content):
        return 0.5
    # Drop only above the (allowed+1)-th highest content score.
    return float(max(0.5, np.nextafter(content[allowed], 1.0)))


def _visible(line: str) -> bool:
    """False for a line of only spaces and invisible characters (zero-width, private use)."""
    return any(ch.isprintable() and not ch.isspace() and ch not in "\u200b\ufeff" and not
               ("\ue000" <= ch <= "\uf8ff") for ch in line)


@dataclass(frozen=True)
class ClassifiedParagraph(Paragraph):
    """A paragraph (index, offsets, text) with the model's label and the probability of every label."""

    label: str
    score: float
    scores: dict[str, float]


@dataclass
class Model:
    """A fitted pipeline and what is known about how it was made."""

    pipeline: Pipeline
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    @property
    def drop_threshold(self) -> float:
        """Boilerplate probability from which ``--drop boilerplate`` drops a paragraph.

        Chosen in cross-validation to keep ``ModelSettings.content_recall`` (99%) of
        the story's paragraphs (see :func:`choose_boilerplate_threshold`); 0.5 for a
        model trained without it.
        """
        return float(self.metadata.get("boilerplate_threshold") or 0.5)

    def drops(self, paragraph: ClassifiedParagraph, threshold: float | None = None) -> bool:
        """True when a boilerplate filter should drop this paragraph.

        The boilerplate probability must be the highest and reach ``threshold``
        (:attr:`drop_threshold` by default), whatever label ``min_score`` gave.
        """
        threshold = self.drop_threshold if threshold is None else threshold
        p = paragraph.scores.get("boilerplate", 0.0)
        return p >= threshold and p >= max(paragraph.scores.values())

    def classify_paragraphs(
        self, paragraphs: list[Paragraph], *, min_score: float | None = None
    ) -> list[ClassifiedParagraph]:
        """Label already-split paragraphs of one article, in reading order.

        A paragraph whose best probability is below ``min_score`` is labelled
        ``uncertain`` (its ``score`` and ``scores`` are kept).
        """
        return self.classify_batch([paragraphs], min_score=min_score)[0]

    def classify_batch(
        self, articles: list[list[Paragraph]], *, min_score: float | None = None
    ) -> list[list[ClassifiedParagraph]]:
        """Label the paragraphs of several articles with one feature matrix and one prediction."""
        samples: list[Context] = []
        for number, paragraphs in enumerate(articles):
            samples.extend(contexts([p.text for p in paragraphs], article=number))
        if not samples:
            return [[] for _ in articles]
        probabilities = self.pipeline.predict_proba(samples)
        labels = self.labels
        out: list[list[ClassifiedParagraph]] = []
        row = 0
        for paragraphs in articles:
            results = []
            for paragraph in paragraphs:
                scores = probabilities[row]
                row += 1
                best = int(np.argmax(scores))
                label = labels[best]
                if min_score is not None and scores[best] < min_score:
                    label = UNCERTAIN
                results.append(
                    ClassifiedParagraph(
                        index=paragraph.index,
                        start=paragraph.start,
                        end=paragraph.end,
                        text=paragraph.text,
                        label=label,
                        score=float(scores[best]),
                        scores={lab: float(p) for lab, p in zip(labels, scores)},
                    )
                )
            out.append(results)
        return out

    def line_scores(self, lines: Sequence[str]) -> list[tuple[float, bool]]:
        """Each line's boilerplate probability, and whether it is the line's top label.

        One paragraph per line, the page classified as one article; a line with
        nothing visible gets ``(1.0, True)`` without asking the model.
        """
        visible = [i for i, line in enumerate(lines) if _visible(line)]
        out = [(1.0, True)] * len(lines)
        paragraphs = [Paragraph(n, 0, len(lines[i]), " ".join(lines[i].split())) for n, i in enumerate(visible)]
        for i, result in zip(visible, self.classify_paragraphs(paragraphs)):
            p = result.scores.get("boilerplate", 0.0)
            out[i] = (p, p >= max(result.scores.values()))
        return out

    def classify_many(
        self, texts: Iterable[str], *, batch_size: int = 64, min_score: float | None = None
    ) -> Iterator[list[ClassifiedParagraph]]:
        """Split and label many articles, ``batch_size`` articles per prediction.

        Yields one list of paragraphs per text, in order; reads ``texts`` lazily,
        so a generator over a corpus is classified in bounded memory.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        batch: list[list[Paragraph]] = []
        for text in texts:
            batch.append(split_paragraphs(text))
            if len(batch) == batch_size:
                yield from self.classify_batch(batch, min_score=min_score)
                batch = []
        if batch:
            yield from self.classify_batch(batch, min_score=min_score)

    def classify_frame(
        self,
        frame,
        *,
        text_column: str = "text",
        id_column: str | None = "id",
        batch_size: int = 64,
        min_score: float | None = None,
    ):
        """Classify a pandas DataFrame of articles into a DataFrame of paragraphs.

        One row per paragraph: ``id`` (from ``id_column``, or the frame's index
        when that column is absent), ``index``, ``start``, ``end``, ``label``,
        ``score``, one ``score_<label>`` column per label, and ``text``. This is
        the unit a distributed engine calls per partition.
        """
        import pandas as pd

        if text_column not in frame.columns:
            raise KeyError(f"no column {text_column!r}; pass text_column=")
        ids = frame[id_column] if id_column and id_column in frame.columns else frame.index.to_series()
        columns = {name: [] for name in self.frame_columns()}
        for article_id, results in zip(
            ids.tolist(),
            self.classify_many(frame[text_column].tolist(), batch_size=batch_size, min_score=min_score),
        ):
            for p in results:
                columns["id"].append(article_id)
                columns["index"].append(p.index)
                columns["start"].append(p.start)
                columns["end"].append(p.end)
                columns["label"].append(p.label)
                columns["score"].append(p.score)
                for label in self.labels:
                    columns[f"score_{label}"].append(p.scores[label])
                columns["text"].append(p.text)
        out = pd.DataFrame(columns)
        dtypes = {"index": "int64", "start": "int64", "end": "int64", "score": "float64"}
        dtypes.update({f"score_{label}": "float64" for label in self.labels})
        return out.astype(dtypes)

    def frame_columns(self) -> list[str]:
        """The columns of :meth:`classify_frame`'s result, in order."""
        return (
            ["id", "index", "start", "end", "label", "score"]
            + [f"score_{label}" for label in self.labels]
            + ["text"]
        )

    @property
    def html_stage(self):
        """The stage that reads a page's markup (:class:`triage.html.HtmlStage`), or ``None``.

        Trained by ``triage train`` from the labelled pages in ``labels/html/``;
        without it an HTML page is classified from its text alone.
        """
        data = self.metadata.get("html_stage")
        if data is None:
            return None
        cached = self.__dict__.get("_html_stage")
        if cached is None or cached[0] is not data:
            from triage.html import HtmlStage

            cached = self.__dict__["_html_stage"] = (data, HtmlStage.from_data(data))
        return cached[1]

    @property
    def html_drop_threshold(self) -> float:
        """The stage's own drop threshold for page blocks (:attr:`drop_threshold` without a stage)."""
        stage = self.html_stage
        return stage.threshold if stage is not None else self.drop_threshold

    def classify_page(self, page, *, min_score: float | None = None) -> list[ClassifiedParagraph]:
        """Label the blocks of an HTML page (:func:`triage.html.read_page`), one paragraph each.

        See :meth:`classify_pages`.
        """
        return self.classify_pages([page], min_score=min_score)[0]

    def classify_pages(self, pages: list, *, min_score: float | None = None) -> list[list[ClassifiedParagraph]]:
        """Label the blocks of HTML pages, one paragraph per block, the text of all in one prediction.

        The text model labels each block; with an :attr:`html_stage` the
        boilerplate probability is the stage's (markup and text together) and
        the story labels share the rest in the text model's proportions.
        Offsets index into each page's block texts joined with newlines.
        """
        from triage.html import structure_matrix

        articles = []
        for page in pages:
            paragraphs, start = [], 0
            for number, block in enumerate(page.blocks):
                paragraphs.append(Paragraph(number, start, start + len(block.text), block.text))
                start += len(block.text) + 1
            articles.append(paragraphs)
        stage = self.html_stage
        if stage is None:
            return self.classify_batch(articles, min_score=min_score)
        out = []
        for page, results in zip(pages, self.classify_batch(articles)):
            if not results:
                out.append(results)
                continue
            X = structure_matrix(page, [r.scores.get("boilerplate", 0.0) for r in results])
            p = stage.page_boilerplate(X, page.containers)
            labelled = []
            for result, boilerplate in zip(results, p):
                story = {k: v for k, v in result.scores.items() if k != "boilerplate"}
                total = sum(story.values()) or 1.0
                scores = {
                    k: float(boilerplate) if k == "boilerplate" else (1 - float(boilerplate)) * story[k] / total
                    for k in result.scores
                }
                label = max(scores, key=scores.get)
                score = scores[label]
                if min_score is not None and score < min_score:
                    label = UNCERTAIN
                labelled.append(
                    ClassifiedParagraph(result.index, result.start, result.end, result.text, label, score, scores)
                )
            out.append(labelled)
        return out

    def classify(self, text: str, *, min_score: float | None = None) -> list[ClassifiedParagraph]:
        """Split one article's text into paragraphs and label each.

        Parameters
        ----------
        text
            The decoded article.
        min_score
            Label ``uncertain`` a paragraph whose best probability is below it.

        Returns
        -------
        list[ClassifiedParagraph]
            One per paragraph; offsets index into ``text``.
        """
        return self.classify_paragraphs(split_paragraphs(text), min_score=min_score)


def sample_weights(
    articles: list[LabelledArticle], article_weights: Sequence[float], *, story_copies: int = 0
) -> np.ndarray:
    """Each labelled paragraph's weight, in :func:`dataset` order: its article's (its copy's too).

    Raises
    ------
    ValueError
        Not one positive weight per article.
    """
    if len(article_weights) != len(articles):
        raise ValueError(f"{len(article_weights)} article weights for {len(articles)} articles; expected one each")
    if any(not w > 0 for w in article_weights):
        raise ValueError(f"article weights must be positive; got {min(article_weights)}")
    weights = [
        weight
        for article, weight in zip(articles, article_weights)
        for index in range(len(article.texts))
        if index in article.labels
    ]
    weights += [article_weights[number] for number, story in _copy_plan(articles, story_copies) for _ in story]
    return np.asarray(weights, dtype=float)


def fit(
    articles: list[LabelledArticle],
    settings: ModelSettings | None = None,
    *,
    article_weights: Sequence[float] | None = None,
) -> Pipeline:
    """Fit the pipeline on every labelled paragraph.

    Parameters
    ----------
    articles
        The labelled articles (unlabelled paragraphs only give context).
    settings
        Pipeline settings; the shipped defaults if omitted.
    article_weights
        One weight per article, given to each of its labelled paragraphs as a
        sample weight of every regression in the pipeline (on top of the class
        balance). ``None``, the default, fits unweighted, as ``triage train`` does.

    Raises
    ------
    LabelError
        Fewer than two labels.
    """
    settings = settings or ModelSettings()
    data = dataset(articles, story_copies=settings.story_copies)
    _check_trainable(data)
    pipeline = build_pipeline(settings)
    _fit_pipeline(
        pipeline,
        data,
        None if article_weights is None else sample_weights(articles, article_weights, story_copies=settings.story_copies),
    )
    return pipeline


def _fit_pipeline(pipeline, data: Dataset, weights: np.ndarray | None = None, rows=None) -> None:
    """Fit ``pipeline`` on ``data`` (its ``rows`` only, if given), with ``weights`` if given.

    The second pass's inner folds keep a story copy with its article by itself
    (:func:`~triage.features.context.source_article`).
    """
    rows = np.arange(len(data.samples)) if rows is None else np.asarray(rows)
    samples, labels = [data.samples[i] for i in rows], np.asarray(data.labels)[rows]
    keywords: dict[str, Any] = {}
    if weights is not None:
        name = "sample_weight" if isinstance(pipeline, NeighbourPass) else "classifier__sample_weight"
        keywords[name] = weights[rows]
    pipeline.fit(samples, labels, **keywords)


def label_counts(articles: list[LabelledArticle]) -> dict[str, int]:
    counts = Counter(label for a in articles for label in a.labels.values())
    return {label: counts.get(label, 0) for label in LABELS}
