"""Two questions, asked apart: is a paragraph page furniture, and if not, what does it tell?

A single four-way classifier learns its boilerplate boundary from the words of the
stories it was trained on: a body sentence about recipes or software, full of words
no incident report uses, looks to it like a leftover. :class:`LeftoversThenStory`
splits the decision:

* the *leftovers* stage, a binary logistic regression, sees the paragraph's shape
  and its neighbours' (:class:`~triage.features.LayoutFeatures`) and only those
  n-grams that mark page furniture (chosen in ``fit`` as the ones at least
  ``marker_ratio`` times more common in boilerplate paragraphs than in story
  paragraphs: "share", "cookies", "subscribe", "read more"). Words that mark
  content are left out on purpose, so the topic of a story cannot make it a
  leftover: what says "content" is the shape of a sentence;
* the *story* stage, a three-way logistic regression over every feature, is fitted
  on the story paragraphs only and tells attack, state response and social context
  apart.

The four probabilities are ``P(boilerplate)`` from the first stage and
``(1 - P(boilerplate)) * P(label | story)`` for the three story labels.

The stage works on the feature matrix of the pipeline's feature union, which
must put the layout block first and the cue block (if any) last, of the widths
given.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

BOILERPLATE = "boilerplate"


class LeftoversThenStory(ClassifierMixin, BaseEstimator):
    """A boilerplate stage on shape and furniture markers, then a story stage.

    Parameters
    ----------
    layout_width
        Columns of the layout block at the start of the feature matrix.
    tail_width
        Columns after the n-gram blocks (the cue features), not seen by the
        leftovers stage.
    C, story_C
        Inverse regularisation of the leftovers and story regressions.
    marker_ratio
        How many times more often (per paragraph) an n-gram must occur in
        boilerplate than in story paragraphs to be a furniture marker.
    min_count
        Boilerplate paragraphs an n-gram must occur in to be a marker.
    leftovers_on
        ``"shape"``: the leftovers stage sees the layout block and the furniture
        markers only; ``"all"``: every column.
    story_layout
        Whether the story stage sees the layout block. Off by default: the shape
        of a paragraph says whether it is part of the story, not which part, and
        with pages on other topics among the labels, plain long prose would
        otherwise lean to ``social_context``.
    class_weight, solver, max_iter, random_state
        As in :class:`~sklearn.linear_model.LogisticRegression`, for both stages.
    """

    def __init__(
        self,
        layout_width: int,
        tail_width: int = 0,
        C: float = 1.0,
        story_C: float = 1.0,
        marker_ratio: float = 3.0,
        min_count: int = 3,
        leftovers_on: str = "shape",
        story_layout: bool = False,
        class_weight: str | None = "balanced",
        solver: str = "lbfgs",
        max_iter: int = 1000,
        random_state: int = 0,
    ):
        self.layout_width = layout_width
        self.tail_width = tail_width
        self.C = C
        self.story_C = story_C
        self.marker_ratio = marker_ratio
        self.min_count = min_count
        self.leftovers_on = leftovers_on
        self.story_layout = story_layout
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.random_state = random_state

    def _regression(self, C: float) -> LogisticRegression:
        return LogisticRegression(
            C=C,
            class_weight=self.class_weight,
            solver=self.solver,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def _ngram_block(self, X):
        stop = X.shape[1] - self.tail_width
        return X[:, self.layout_width:stop]

    def _story_matrix(self, X):
        return X if self.story_layout else X[:, self.layout_width:]

    def _leftover_matrix(self, X):
        X = sp.csr_matrix(X)
        if self.leftovers_on == "all":
            return X
        layout = X[:, : self.layout_width]
        markers = self._ngram_block(X)[:, self.markers_]
        return sp.hstack([layout, markers], format="csr")

    def _choose_markers(self, ngrams, is_boilerplate: np.ndarray) -> np.ndarray:
        present = (ngrams > 0).astype(np.float64)
        in_boilerplate = np.asarray(present[is_boilerplate].sum(axis=0)).ravel()
        in_story = np.asarray(present[~is_boilerplate].sum(axis=0)).ravel()
        n_boilerplate = max(int(is_boilerplate.sum()), 1)
        n_story = max(int((~is_boilerplate).sum()), 1)
        rate_boilerplate = (in_boilerplate + 1) / (n_boilerplate + 2)
        rate_story = (in_story + 1) / (n_story + 2)
        chosen = (in_boilerplate >= self.min_count) & (rate_boilerplate >= self.marker_ratio * rate_story)
        return np.flatnonzero(chosen)

    def fit(self, X, y, sample_weight=None):
        """Choose the markers (by paragraph counts) and fit both stages, weighted by ``sample_weight``."""
        X = sp.csr_matrix(X)
        y = np.asarray(y)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        is_boilerplate = y == BOILERPLATE
        self.markers_ = self._choose_markers(self._ngram_block(X), is_boilerplate)
        self.leftovers_ = None
        if is_boilerplate.any() and (~is_boilerplate).any():
            self.leftovers_ = self._regression(self.C).fit(
                self._leftover_matrix(X), is_boilerplate, sample_weight=weights
            )
        story = ~is_boilerplate
        self.story_ = None
        self.story_label_ = None
        if story.any():
            labels = np.unique(y[story])
            if len(labels) >= 2:
                self.story_ = self._regression(self.story_C).fit(
                    self._story_matrix(X[story]), y[story], sample_weight=None if weights is None else weights[story]
                )
            else:
                self.story_label_ = labels[0]
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = sp.csr_matrix(X)
        n = X.shape[0]
        out = np.zeros((n, len(self.classes_)))
        has_boilerplate = BOILERPLATE in self.classes_
        if self.leftovers_ is not None:
            p_boilerplate = self.leftovers_.predict_proba(self._leftover_matrix(X))[:, 1]
        else:
            p_boilerplate = np.full(n, 1.0 if has_boilerplate and self.story_ is None and self.story_label_ is None else 0.0)
        if has_boilerplate:
            out[:, int(np.flatnonzero(self.classes_ == BOILERPLATE)[0])] = p_boilerplate
        if self.story_ is not None:
            story = self.story_.predict_proba(self._story_matrix(X))
            for column, label in enumerate(self.story_.classes_):
                out[:, int(np.flatnonzero(self.classes_ == label)[0])] = (1.0 - p_boilerplate) * story[:, column]
        elif self.story_label_ is not None:
            out[:, int(np.flatnonzero(self.classes_ == self.story_label_)[0])] = 1.0 - p_boilerplate
        return out

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def coef_(self) -> np.ndarray:
        """Per-label weights over the whole feature matrix, for explanations.

        The story rows are the story stage's weights and the boilerplate row the
        leftovers stage's, each placed on the columns its stage reads (zero
        elsewhere).
        """
        width = self.n_features_in_
        rows = []
        for label in self.classes_:
            row = np.zeros(width)
            if label == BOILERPLATE and self.leftovers_ is not None:
                weights = self.leftovers_.coef_[0]
                if self.leftovers_on == "all":
                    row[:] = weights
                else:
                    row[: self.layout_width] = weights[: self.layout_width]
                    row[self.layout_width + self.markers_] = weights[self.layout_width:]
            elif self.story_ is not None and label in self.story_.classes_:
                weights = self.story_.coef_[list(self.story_.classes_).index(label)]
                row[width - len(weights):] = weights
            rows.append(row)
        return np.vstack(rows)
