"""A second pass that labels each paragraph knowing what its neighbours look like.

Page leftovers cluster at the top and the bottom of a page and the story's
paragraphs are contiguous, so a short line in the middle of the story (a
subheading, a one-line quote) is content, and a headline below the story (a
related-story link) is not. A paragraph's own words cannot tell; the first
pass's probabilities for the paragraphs around it can.

:class:`NeighbourPass` wraps a first-pass classifier. Its second pass is a
logistic regression over :func:`neighbour_features`: the paragraph's own
probabilities, its neighbours', averages over wider windows, and how much of
the article's likely content lies before and after it. The second pass is
trained on *out-of-fold* first-pass probabilities (articles held out in turn),
so it learns from probabilities as unsure as the ones it will see on new text.

``fit`` takes an optional ``sample_weight``; both passes' regressions see it
(the features, which learn no labels, do not).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from triage.features.context import WIDE_RUN, _words, source_article
from triage.features.layout import _END_PUNCT, _STOP

WINDOWS = (2, 5)
"""Half-widths of the windows whose mean probabilities are features."""

SHAPE_WINDOWS = (3, 8)
"""Half-widths of the windows whose shares of headline- and sentence-shaped lines are features.

A run of headline-shaped lines (a few words, no full stop) is a list of teasers
or links; a story's own headline stands among short page furniture and long
sentences. Telling them apart needs the shape of the lines around, not their words.
"""


def _headline_shaped(words: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return ((words >= 4) & (words <= 16) & (ends == 0)).astype(float)


def _sentence_shaped(words: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return ((words >= 12) & (ends == 1)).astype(float)


@lru_cache(maxsize=1 << 16)
def _content_words(text: str) -> frozenset[str]:
    """The words of ``text`` that carry its subject: lower-cased, three letters or more, no stop word.

    A script written without spaces gives its character pairs instead.
    """
    words = {w for w in map(str.lower, _words(text)) if len(w) >= 3 and w not in _STOP and not w.isdigit()}
    if not text.isascii():
        words |= {run[i : i + 2] for run in WIDE_RUN.findall(text) for i in range(len(run) - 1)}
    return frozenset(words)


def coherence(texts: list[str], content: np.ndarray) -> np.ndarray:
    """How much of each paragraph's subject the rest of its article's likely content shares.

    Returns two columns per paragraph: the mean, over its subject words
    (:func:`_content_words`), of how far the other paragraphs that use the word
    are likely content (each word counts at most 1), and the share of its
    words used by likely content at least twice elsewhere. A story's
    paragraphs share its names and nouns; a related-story teaser, an
    advertisement or another story's headline on the same page shares few,
    whatever the subject of either.
    """
    sets = [_content_words(t) for t in texts]
    weight: dict[str, float] = {}
    for words, c in zip(sets, content):
        for w in words:
            weight[w] = weight.get(w, 0.0) + c
    out = np.zeros((len(texts), 2))
    for i, (words, c) in enumerate(zip(sets, content)):
        if words:
            elsewhere = [weight[w] - c for w in words]
            out[i] = sum(min(e, 1.0) for e in elsewhere) / len(words), sum(e >= 1.5 for e in elsewhere) / len(words)
    return out


def _articles(X) -> list[np.ndarray]:
    """Positions of each article's samples in ``X``, in reading order."""
    by_article: dict[int, list[int]] = {}
    for position, sample in enumerate(X):
        by_article.setdefault(sample.article, []).append(position)
    return [
        np.asarray(sorted(positions, key=lambda p: X[p].index)) for positions in by_article.values()
    ]


def _weight_params(estimator, sample_weight: np.ndarray | None) -> dict:
    """The fit keyword that hands ``sample_weight`` to ``estimator``'s classifier ({} for none).

    A :class:`~sklearn.pipeline.Pipeline` routes it to its last step by name.
    """
    if sample_weight is None:
        return {}
    if isinstance(estimator, Pipeline):
        return {f"{estimator.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def _window_means(probabilities: np.ndarray, half: int) -> np.ndarray:
    """Mean of the rows within ``half`` places of each row, the row itself left out."""
    n = len(probabilities)
    padded = np.vstack([np.zeros((1, probabilities.shape[1])), np.cumsum(probabilities, axis=0)])
    place = np.arange(n)
    lo = np.maximum(place - half, 0)
    hi = np.minimum(place + half + 1, n)
    sums = padded[hi] - padded[lo] - probabilities
    counts = hi - lo - 1
    return sums / np.maximum(counts, 1)[:, None]


def main_block(scores: np.ndarray) -> tuple[int, int]:
    """The run ``[start, end)`` of consecutive paragraphs with the largest total score.

    With scores positive for likely content and negative for likely leftovers,
    this is the story's body: stray content-like lines far from it (teasers,
    comments) fall outside, short lines within it (subheadings) inside.
    An article with no positive score gives an empty run at 0.
    """
    best, best_start, best_end = 0.0, 0, 0
    running, start = 0.0, 0
    for i, value in enumerate(scores):
        if running <= 0:
            running, start = 0.0, i
        running += value
        if running > best:
            best, best_start, best_end = running, start, i + 1
    return best_start, best_end


def neighbour_features(X, probabilities: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Second-pass features of every sample.

    Parameters
    ----------
    X
        :class:`~triage.features.Context` samples; ``article`` and ``index``
        place each in its article.
    probabilities
        First-pass probabilities, one row per sample.
    content
        For each sample, the first pass's probability that it is part of the
        story (not boilerplate).
    """
    k = probabilities.shape[1]
    width = 3 * k + k * len(WINDOWS) + 9 + 2 * len(SHAPE_WINDOWS) + 2
    out = np.zeros((len(X), width))
    for positions in _articles(X):
        p = probabilities[positions]
        zero = np.zeros((1, k))
        previous = np.vstack([zero, p[:-1]])
        following = np.vstack([p[1:], zero])
        windows = [_window_means(p, half) for half in WINDOWS]
        words = np.array([len(_words(X[i].text)) for i in positions], dtype=float)
        mass = content[positions] * np.log1p(words)
        total = mass.sum() or 1.0
        before = (np.cumsum(mass) - mass) / total
        after = 1.0 - before - mass / total
        start, end = main_block((content[positions] - 0.5) * np.log1p(words))
        place = np.arange(len(positions))
        distance = np.where(place < start, start - place, np.where(place >= end, place - end + 1, 0))
        characters = np.array([len(X[i].text) for i in positions], dtype=float)
        ends = np.array([float(X[i].text.rstrip().endswith(_END_PUNCT)) for i in positions])
        shapes = np.column_stack([_headline_shaped(words, ends), _sentence_shaped(words, ends)])
        around = [_window_means(shapes, half) for half in SHAPE_WINDOWS]
        shared = coherence([X[i].text for i in positions], content[positions])
        out[positions] = np.hstack(
            [p, previous, following, *windows, *around, shared]
            + [
                np.column_stack(
                    [
                        before,
                        after,
                        np.log(before + 0.01),
                        np.log(np.clip(after, 0, None) + 0.01),
                        np.log1p(words),
                        np.log1p(characters),
                        ends,
                        (distance == 0).astype(float),
                        np.log1p(distance),
                    ]
                )
            ]
        )
    return out


def proba_in(classes, estimator, X) -> np.ndarray:
    """``estimator.predict_proba(X)`` with one column per label of ``classes``, in that order.

    A fold or stage fitted without some label gives it probability 0, so the
    columns of models trained on different subsets line up.
    """
    classes = np.asarray(classes, dtype=object)
    probabilities = estimator.predict_proba(X)
    out = np.zeros((probabilities.shape[0], len(classes)))
    out[:, [int(np.flatnonzero(classes == c)[0]) for c in estimator.classes_]] = probabilities
    return out


class NeighbourPass(ClassifierMixin, BaseEstimator):
    """Wrap ``first`` (a classifier of Context samples) with a neighbour-aware second pass.

    Parameters
    ----------
    first
        An unfitted classifier of :class:`~triage.features.Context` samples
        with ``predict_proba``; the pipeline of TF-IDF and layout features.
    C
        Inverse regularisation of the second pass's logistic regression.
    inner_folds
        Folds (whole articles) for the out-of-fold probabilities the second
        pass learns from. With fewer than two articles there is no second pass.
    n_jobs
        Inner folds fitted at once (joblib; ``-1`` for one per core). Inside
        a worker of an outer parallel loop joblib runs them one by one.

    When ``first`` is a :class:`~sklearn.pipeline.Pipeline`, its feature
    steps are fitted once on all samples and only its last step (the
    classifier) per inner fold; any other ``first`` is refitted whole in
    every fold.
    """

    def __init__(
        self,
        first,
        C: float = 1.0,
        inner_folds: int = 4,
        random_state: int = 0,
        n_jobs=None,
    ):
        self.first = first
        self.C = C
        self.inner_folds = inner_folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _one_label(self, train_y: np.ndarray, n_test: int) -> np.ndarray | None:
        """Certain probabilities of ``train_y``'s label when a fold trains on one label only."""
        if len(set(train_y.tolist())) >= 2:
            return None
        out = np.zeros((n_test, len(self.classes_)))
        out[:, self.classes_ == train_y[0]] = 1.0
        return out

    def _fold(self, X, y, train, test, sample_weight=None) -> np.ndarray:
        """First-pass probabilities of ``test`` from a model fitted on ``train``."""
        certain = self._one_label(y[train], len(test))
        if certain is not None:
            return certain
        weights = None if sample_weight is None else sample_weight[train]
        model = clone(self.first).fit([X[i] for i in train], y[train], **_weight_params(self.first, weights))
        return self._first_proba(model, [X[i] for i in test])

    def _classifier_fold(self, classifier, matrix, y, train, test, sample_weight=None):
        """Like :meth:`_fold`, on rows of features computed once for all samples.

        Returns the probabilities and the fitted fold model (``None`` when the
        fold's training rows hold one label only).
        """
        certain = self._one_label(y[train], len(test))
        if certain is not None:
            return certain, None
        weights = None if sample_weight is None else sample_weight[train]
        model = clone(classifier).fit(matrix[train], y[train], **_weight_params(classifier, weights))
        return self._first_proba(model, matrix[test]), model

    def _mean_solution(self, models):
        """The fold models' mean coefficients and intercepts, when they can start the final fit."""
        usable = [m for m in models if m is not None and hasattr(m, "coef_") and "warm_start" in m.get_params()]
        if len(usable) != len(models) or not usable:
            return None
        if any(list(m.classes_) != list(self.classes_) or m.coef_.shape != usable[0].coef_.shape for m in usable):
            return None
        return np.mean([m.coef_ for m in usable], axis=0), np.mean([m.intercept_ for m in usable], axis=0)

    def _first_proba(self, model, X) -> np.ndarray:
        return proba_in(self.classes_, model, X)

    def _content(self, probabilities: np.ndarray) -> np.ndarray:
        boilerplate = np.flatnonzero(self.classes_ == "boilerplate")
        if len(boilerplate) == 0:
            return np.ones(len(probabilities))
        return 1.0 - probabilities[:, boilerplate[0]]

    def _shares_features(self) -> bool:
        return isinstance(self.first, Pipeline) and len(self.first.steps) > 1

    def _fit_on_shared_features(self, X, y, folds, sample_weight=None) -> np.ndarray:
        """Fit the first pass's features once, its classifier per fold and on everything.

        The features (masking, TF-IDF vocabularies and weights, scalers) learn
        no labels, so fitting them on all samples leaks no label of a held-out
        article into its out-of-fold probabilities: its words only shape the
        vocabulary and the IDF weights, and a term seen in no training row
        gets no weight. It saves refitting the features for every inner fold,
        most of the cost of training.
        """
        featuriser = Pipeline([(step, clone(part)) for step, part in self.first.steps[:-1]])
        matrix = featuriser.fit_transform(X, y)
        name, classifier = self.first.steps[-1]
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(self._classifier_fold)(classifier, matrix, y, train, test, sample_weight)
            for train, test in folds
        )
        out_of_fold = np.zeros((len(X), len(self.classes_)))
        for (_, test), (probabilities, _) in zip(folds, fitted):
            out_of_fold[test] = probabilities
        final = clone(classifier)
        start = self._mean_solution([model for _, model in fitted])
        if start is not None:
            # The fold models are near the final solution: starting there, the
            # final fit needs a few solver iterations instead of all of them.
            final.set_params(warm_start=True)
            final.coef_, final.intercept_ = start
        final.fit(matrix, y, **_weight_params(final, sample_weight))
        if start is not None:
            final.set_params(warm_start=False)
        self.first_ = Pipeline([*featuriser.steps, (name, final)])
        return out_of_fold

    def fit(self, X, y, sample_weight=None):
        """Fit both passes; ``sample_weight`` (one per sample, or ``None``) weighs each pass's regression.

        An inner fold holds whole articles, each with its story copy
        (:func:`~triage.features.context.source_article`).
        """
        X = list(X)
        y = np.asarray(y)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
            if sample_weight.shape != (len(X),):
                raise ValueError(f"sample_weight has shape {sample_weight.shape}; expected ({len(X)},)")
        self.classes_ = np.unique(y)
        groups = np.array([source_article(sample.article) for sample in X])
        n_groups = len(set(groups.tolist()))
        self.second_ = None
        if n_groups >= 2 and len(self.classes_) >= 2:
            from sklearn.model_selection import GroupKFold  # only to fit: keeps start-up short

            folds = list(
                GroupKFold(n_splits=min(self.inner_folds, n_groups)).split(X, y, groups)
            )
            if self._shares_features():
                out_of_fold = self._fit_on_shared_features(X, y, folds, sample_weight)
            else:
                # The final first pass is fitted alongside the folds.
                results = Parallel(n_jobs=self.n_jobs)(
                    [delayed(self._fold)(X, y, train, test, sample_weight) for train, test in folds]
                    + [delayed(clone(self.first).fit)(X, y, **_weight_params(self.first, sample_weight))]
                )
                out_of_fold = np.zeros((len(X), len(self.classes_)))
                for (_, test), probabilities in zip(folds, results):
                    out_of_fold[test] = probabilities
                self.first_ = results[-1]
            features = neighbour_features(X, out_of_fold, self._content(out_of_fold))
            second = make_pipeline(
                StandardScaler(),
                LogisticRegression(
                    C=self.C, class_weight="balanced", max_iter=1000, random_state=self.random_state
                ),
            )
            self.second_ = second.fit(features, y, **_weight_params(second, sample_weight))
        else:
            self.first_ = clone(self.first).fit(X, y, **_weight_params(self.first, sample_weight))
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = list(X)
        first = self._first_proba(self.first_, X)
        if self.second_ is None:
            return first
        return proba_in(self.classes_, self.second_, neighbour_features(X, first, self._content(first)))

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

