"""Names, numbers and upper case, masked before the word features see them.

Names, numbers and dates are what differ most between the seed articles and a
report from another country, and what a small model memorises first. They are
masked before the word features see them: digits become ``0`` and a capitalised
word that the training text never uses in lower case (a place, a person, an
outlet) becomes ``xname``.
"""

from __future__ import annotations

import re

from sklearn.base import BaseEstimator, TransformerMixin

from triage.features.context import _WORD, _char_counts

_DIGITS = re.compile(r"\d+")
_CAPITALISED = re.compile(r"(?<!\w)(?<!\w['’])[^\W\da-z_]\w*(?:['’]\w+)*", re.UNICODE)
"""The words of ``_WORD`` that do not start with a digit, ``_`` or a-z."""


UPPER_CASE_SHARE = 0.6
"""Share of an article's letters in upper case from which it is read as upper-case copy."""
_MIN_UPPER_LETTERS = 20
_SENTENCE_CAP = re.compile(r"(^|[.!?\]]\s+|--\s+|(?:^|\s)[\"“(\[])([a-z])")


LOWER_CASE_SHARE = 0.005
"""Share of an article's cased letters in upper case below which it is read as lower-cased copy."""


def _article_cases(X) -> tuple[set[int], set[int]]:
    """The ``article`` numbers of the mostly upper-case articles, and of those with (almost) no capitals.

    One pass over the samples counts each article's letters, its cased letters
    (CJK, Arabic and the like have no case) and its capitals.
    """
    counts: dict[int, list[int]] = {}
    for sample in X:
        text = sample.text
        letters, upper, _ = _char_counts(text)
        cased = letters if text.isascii() else upper + sum(map(str.islower, text))
        entry = counts.setdefault(sample.article, [0, 0, 0])
        entry[0] += letters
        entry[1] += cased
        entry[2] += upper
    upper_case = {a for a, (letters, _, upper) in counts.items()
                  if letters >= _MIN_UPPER_LETTERS and upper / letters >= UPPER_CASE_SHARE}
    lower_case = {a for a, (_, cased, upper) in counts.items()
                  if cased >= _MIN_UPPER_LETTERS and upper / cased < LOWER_CASE_SHARE}
    return upper_case, lower_case


def upper_case_articles(X) -> set[int]:
    """The ``article`` numbers of the samples whose article is mostly upper case.

    Wire copy, cables and radio transcripts often arrive all in capitals; their
    text is put in sentence case before any feature sees it.
    """
    return _article_cases(X)[0]


def lower_case_articles(X) -> set[int]:
    """The ``article`` numbers of the samples whose article has (almost) no capitals.

    Text lower-cased by an earlier pipeline stage, transcripts and chat copy lose
    the capitals that tell names from words; such an article is read as the
    same text in capitals would be (see :class:`NameMasker`).
    """
    return _article_cases(X)[1]


def _sentence_cased(text: str, known: frozenset[str], lowered) -> str:
    """``text`` with each word that ``lowered`` gives a lower-case form for cased by ``known``, sentences capitalised.

    A word's lower-case form is kept when the training text uses it, and
    capitalised otherwise (a place, a person, an acronym), so the name masking
    still finds it; ``lowered`` returns ``None`` for a word to leave as it is.
    """

    def word(match: re.Match) -> str:
        w = match.group()
        low = lowered(w)
        if low is None:
            return w
        return low if low in known else low.capitalize()

    cased = _WORD.sub(word, text)
    return _SENTENCE_CAP.sub(lambda m: m.group(1) + m.group(2).upper(), cased)


def sentence_case(text: str, known: frozenset[str]) -> str:
    """Upper-case ``text`` in sentence case: known words lower-cased, others capitalised.

    ``known`` holds the words the training text uses in lower case; a word
    outside it (a place, a person, an acronym) keeps a capital, so the name
    masking still finds it. The first letter of each sentence is a capital.
    """
    return _sentence_cased(text, known, lambda w: w.lower() if w.isupper() else None)


def sentence_case_lower(text: str, known: frozenset[str]) -> str:
    """Lower-case ``text`` in sentence case, as :func:`sentence_case` puts its upper-case copy.

    Words are not upper-cased first: "groß" or "kadın" would come back as
    "gross" and "kadin", words the training text never used.
    """
    return _sentence_cased(text, known, lambda w: w if w.islower() else None)


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
        upper, lower = _article_cases(X)
        known = self.lower_vocabulary_
        out = []
        for sample in X:
            # A lower-cased article is read as the same text in capitals would be.
            recase = sentence_case if sample.article in upper else sentence_case_lower if sample.article in lower else None
            if recase is not None:
                sample = sample._replace(
                    text=recase(sample.text, known),
                    previous=recase(sample.previous, known),
                    next=recase(sample.next, known),
                )
            out.append(sample._replace(text=self._mask(sample.text)))
        return out
