"""A paragraph as the model sees it, and the word and character counts every feature shares."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


class Context(NamedTuple):
    """One paragraph as the model sees it."""

    text: str
    index: int
    count: int
    previous: str
    next: str
    article: int = 0
    """Tells the articles of a batch apart, for features that look at the whole article.

    A training article's story copy (:func:`triage.model.dataset`) is ``-1 - n``
    for article ``n``: another article to the features, the same one to
    :func:`source_article`."""


def source_article(article: int) -> int:
    """The article a sample's text comes from: its own, or the one a story copy was made of."""
    return article if article >= 0 else -1 - article


def contexts(texts: list[str], article: int = 0) -> list[Context]:
    """Wrap one article's paragraph texts, in reading order, as model samples."""
    count = len(texts)
    return [
        Context(
            text,
            i,
            count,
            texts[i - 1] if i > 0 else "",
            texts[i + 1] if i + 1 < count else "",
            article,
        )
        for i, text in enumerate(texts)
    ]


_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


def text_of(sample: Context) -> str:
    """The (masked) text of a sample, lower-cased: the TF-IDF preprocessor."""
    return sample.text.lower()


WIDE_RUN = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
"""A run of characters of scripts written without spaces (Thai, kana, CJK, Hangul)."""


def _wide_count(text: str) -> int:
    """How many characters of ``text`` belong to scripts written without spaces."""
    if text.isascii():
        return 0
    return sum(map(len, WIDE_RUN.findall(text)))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """The words of ``text``; cached for the few features of one batch that count them."""
    return tuple(_WORD.findall(text))


_ASCII = bytes(range(128))
_NOT_LETTER = bytes(c for c in _ASCII if not chr(c).isalpha())
_NOT_UPPER = bytes(c for c in _ASCII if not chr(c).isupper())
_NOT_DIGIT = bytes(c for c in _ASCII if not chr(c).isdigit())


def _char_counts(text: str) -> tuple[int, int, int]:
    """Letters, upper-case letters and digits in ``text`` (``str.isalpha`` etc.).

    ASCII text, the common case, is counted by deleting the other bytes, in C.
    """
    if text.isascii():
        raw = text.encode("ascii")
        return (
            len(raw.translate(None, _NOT_LETTER)),
            len(raw.translate(None, _NOT_UPPER)),
            len(raw.translate(None, _NOT_DIGIT)),
        )
    return sum(map(str.isalpha, text)), sum(map(str.isupper, text)), sum(map(str.isdigit, text))
