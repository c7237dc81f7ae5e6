"""Names, numbers and upper case, masked before the word features see them.

Names, numbers and dates are what differ most between the seed articles and a
report from another country, and what a small model memorises first. They are
masked before the word features see them: digits become ``0`` and a capitalised
word that the training text never uses in lower case (a place, a person, an
outlet) becomes ``xname``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sklearn.base import BaseEstimator, TransformerMixin

from triage.features.context import _WORD, _char_counts

_DIGITS = re.compile(r"\d+")
_CAPITALISED = re.compile(r"(?<!\w)(?<!\w['’])[^\W\da-z_]\w*(?:['’]\w+)*", re.UNICODE)
"""The words of ``_WORD`` that do not start with a digit, ``_`` or a-z."""


UPPER_CASE_SHARE = 0.6
"""Share of an article's letters in upper case from which it is read as upper-case copy."""
_MIN_UPPER_LETTERS = 20
_SENTENCE_CAP = re.compile(r"(^|[.!?\]]\s+|--\s+|(?:^|\s)[\"“(\[])([a-z])")


def _upper_share(texts: Iterable[str]) -> float:
    """Share of the letters of ``texts`` that are upper case (0 for no letters)."""
    letters = upper = 0
    for text in texts:
        counted = _char_counts(text)
        letters += counted[0]
        upper += counted[1]
    return upper / letters if letters >= _MIN_UPPER_LETTERS else 0.0


LOWER_CASE_SHARE = 0.005
"""Share of an article's cased letters in upper case below which it is read as lower-cased copy."""


def _cased_counts(text: str) -> tuple[int, int]:
    """Letters that have a case, and the upper-case ones among them (CJK, Arabic and the like have none)."""
    letters, upper, _ = _char_counts(text)
    if text.isascii():
        return letters, upper
    return upper + sum(map(str.islower, text)), upper


def lower_case_articles(X) -> set[int]:
    """The ``article`` numbers of the samples whose article has (almost) no capitals.

    Text lower-cased by an earlier pipeline stage, transcripts and chat copy lose
    the capitals that tell names from words; such an article is read as the
    same text in capitals would be (see :class:`NameMasker`).
    """
    counts: dict[int, list[int]] = {}
    for sample in X:
        cased, upper = _cased_counts(sample.text)
        entry = counts.setdefault(sample.article, [0, 0])
        entry[0] += cased
        entry[1] += upper
    return {
        article for article, (cased, upper) in counts.items()
        if cased >= _MIN_UPPER_LETTERS and upper / cased < LOWER_CASE_SHARE
    }


def upper_case_articles(X) -> set[int]:
    """The ``article`` numbers of the samples whose article is mostly upper case.

    Wire copy, cables and radio transcripts often arrive all in capitals; their
    text is put in sentence case before any feature sees it.
    """
    texts: dict[int, list[str]] = {}
    for sample in X:
        texts.setdefault(sample.article, []).append(sample.text)
    return {article for article, parts in texts.items() if _upper_share(parts) >= UPPER_CASE_SHARE}


def sentence_case(text: str, known: frozenset[str]) -> str:
    """Upper-case ``text`` in sentence case: known words lower-cased, others capitalised.

    ``known`` holds the words the training text uses in lower case; a word
    outside it (a place, a person, an acronym) keeps a capital, so the name
    masking still finds it. The first letter of each sentence is a capital.
    """

    def word(match: re.Match) -> str:
        w = match.group()
        if not w.isupper():
            return w
        lowered = w.lower()
        return lowered if lowered in known else lowered.capitalize()

    cased = _WORD.sub(word, text)
    return _SENTENCE_CAP.sub(lambda m: m.group(1) + m.group(2).upper(), cased)


def sentence_case_lower(text: str, known: frozenset[str]) -> str:
    """Lower-case ``text`` in sentence case, as :func:`sentence_case` puts its upper-case copy.

    Words are not upper-cased first: "groß" or "kadın" would come back as
    "gross" and "kadin", words the training text never used.
    """

    def word(match: re.Match) -> str:
        w = match.group()
        if not w.islower():
            return w
        return w if w in known else w.capitalize()

    cased = _WORD.sub(word, text)
    return _SENTENCE_CAP.sub(lambda m: m.group(1) + m.group(2).upper(), cased)


class NameMasker(BaseEstimator, TransformerMixin):
    """Put upper-case articles in sentence case, then replace digits and proper names.

    ``fit`` learns which words the training text uses in lower case; a
    capitalised word outside that set, not at the start of a sentence, is
    taken for a name. An article whose letters are mostly upper case (see
    :func:`upper_case_articles`) is first put in sentence case with the same
    word set, so that it gets the features of the same text in sentence case;
    so is one with almost no capitals (:func:`lower_case_articles`), as if it
    had come in capitals.
    """

    def fit(self, X, y=None):
        vocabulary = set()
        for sample in X:
            vocabulary.update(w for w in _WORD.findall(sample.text) if w.islower())
        self.lower_vocabulary_ = frozenset(vocabulary)
        return self

    def _mask(self, text: str) -> str:
        known = self.lower_vocabulary_

        def name_or_word(match: re.Match) -> str:
            word = match.group()
            return "xname" if word[0].isupper() and word.lower() not in known else word

        # Only words that start with a capital can be names: the regex finds the
        # words of _WORD that do not start with a-z, so most words cost nothing.
        return _DIGITS.sub("0", _CAPITALISED.sub(name_or_word, text))

    def transform(self, X):
        upper = upper_case_articles(X)
        lower = lower_case_articles(X)
        known = self.lower_vocabulary_
        out = []
        for sample in X:
            if sample.article in upper:
                sample = sample._replace(
                    text=sentence_case(sample.text, known),
                    previous=sentence_case(sample.previous, known),
                    next=sentence_case(sample.next, known),
                )
            elif sample.article in lower:  # read as the same text in capitals would be
                sample = sample._replace(
                    text=sentence_case_lower(sample.text, known),
                    previous=sentence_case_lower(sample.previous, known),
                    next=sentence_case_lower(sample.next, known),
                )
            out.append(sample._replace(text=self._mask(sample.text)))
        return out
