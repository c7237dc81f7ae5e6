"""The shape of a paragraph and of its neighbours: length, punctuation, case, stop words."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from triage.features.context import _char_counts, _wide_count, _words

_END_PUNCT = tuple('.!?"”’\')。！？」…')
# Function words of the languages most often met on scraped pages besides English: a
# body sentence in Portuguese or Russian is as full of them as an English one, while a
# menu or a byline has few in any language.
_FUNCTION_WORDS = frozenset(
    """
    a o os as um uma de do da dos das em no na nos nas por para com que se não mais
    como mas ao aos foi ser são está isso este esta pelo pela
    el la los las un una del al en y es por con para que se no lo más su sus fue
    le les des du et est dans pour pas qui sur au avec il elle ce sont été
    der die das und ist nicht ein eine zu den von mit sich auf für im dem des auch
    il lo gli di che è per non una sono della nel alla
    и в не на что с по как это из к но за то он она был была от для же так его
    yang dan di ke dari ini itu dengan untuk tidak dalam akan
    """.split()
)
_STOP = ENGLISH_STOP_WORDS | _FUNCTION_WORDS
_SENTENCE_MARK = re.compile(r"[.!?]\s|[。！？]")


@lru_cache(maxsize=1 << 16)
def _shape(text: str) -> tuple[float, ...]:
    """Layout cues of one text: the kind jusText and boilerplate removers use.

    Cached: each text is also its neighbours' neighbour, and cross-validation
    sees the same texts in every fold.
    """
    words = _words(text)
    wide = _wide_count(text)
    # A script without spaces: count about two characters a word.
    n_words = len(words) + wide // 2
    letters, upper, digits = _char_counts(text)
    letters = letters or 1
    stripped = text.rstrip()
    return (
        math.log1p(n_words),
        math.log1p(len(stripped)),
        float(stripped.endswith(_END_PUNCT)),
        sum(map(str.isupper, [w[0] for w in words])) / (n_words or 1),
        upper / letters,
        digits / (len(text) or 1),
        sum(map(_STOP.__contains__, map(str.lower, words))) / (n_words or 1),
        float(n_words > 0 and not text[:1].isalnum() and text[:1] not in "\"“'‘"),
        float(any(q in text for q in "\"“”")),
        min(len(_SENTENCE_MARK.findall(text)) + 1, 10) / 10 if n_words else 0.0,
    )


SHAPE_NAMES = [
    "log_words",
    "log_characters",
    "ends_with_punctuation",
    "capitalised_words",
    "upper_letters",
    "digits",
    "stop_words",
    "starts_with_symbol",
    "has_quote",
    "sentences",
]


class LayoutFeatures(BaseEstimator, TransformerMixin):
    """Shape of the paragraph and of its neighbours.

    No feature says where the paragraph stands in the article: a story's last
    paragraph, or a one-paragraph story, is as much content as its first. A
    paragraph with no paragraph before (or after) it takes its own shape for
    the missing neighbour's, so an empty neighbour does not say "top of the
    page" either (10-fold CV with the story copies, zeros -> own shape: muc
    attack F1 0.619 -> 0.620, state_response 0.496 -> 0.513, boilerplate
    0.780 -> 0.714 on 22 paragraphs; aeb body F1 0.818 -> 0.812, wcxb 0.893 ->
    0.892; a lone "Police arrested two suspects ..." goes from social_context to
    state_response). What lies around the story is judged from the neighbours,
    here and in the second pass (:mod:`triage.neighbours`). (Place features for
    short lines only were tried: muc 0.618 -> 0.600, aeb body F1 0.844 -> 0.838,
    seeds held out unchanged; left out.)
    """

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        rows = [
            _shape(sample.text) + _shape(sample.previous or sample.text) + _shape(sample.next or sample.text)
            for sample in X
        ]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), 3 * len(SHAPE_NAMES))

    def get_feature_names_out(self, input_features=None):
        names = SHAPE_NAMES + [f"previous_{n}" for n in SHAPE_NAMES] + [f"next_{n}" for n in SHAPE_NAMES]
        return np.asarray(names, dtype=object)
