"""TF-IDF of word and character n-grams, built from column lists (faster than scikit-learn's vectorisers, same output)."""

from __future__ import annotations

import functools
import numbers
import operator
import re
from collections.abc import Iterable, Iterator

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from triage.features.context import source_article, text_of


class _NgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF of n-grams of the (masked, lower-cased) text, built from column lists.

    Subclasses say which columns each paragraph's n-grams fall in, once with
    provisional columns while fitting (:meth:`_fit_rows`) and once with the
    vocabulary's (:meth:`_rows`); this class counts them into a sparse matrix,
    keeps the n-grams found in at least ``min_df`` paragraphs (and in at least
    ``min_articles`` articles, told apart by each sample's ``article``: an n-gram
    that only one article uses, a teacher or a courthouse of one story, is what a
    model memorises of that story rather than what carries to the next), sorted as
    scikit-learn sorts them, and weights them as its ``TfidfVectorizer`` does
    (``smooth_idf``, ``norm="l2"``, ``1 + log(count)`` with ``sublinear_tf``).
    """

    def _fit_rows(self, texts: list[str], seen: dict[str, int]) -> Iterator[list[int]]:
        raise NotImplementedError

    def _rows(self, texts: list[str]) -> Iterator[list[int]]:
        raise NotImplementedError

    @staticmethod
    def _matrix(rows: Iterable[list[int]], width: int):
        import scipy.sparse as sp

        indices: list[int] = []
        indptr = [0]
        for columns in rows:
            indices.extend(columns)
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (
                np.ones(len(indices), dtype=np.float64),
                np.asarray(indices, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, width),
        )
        counts.sum_duplicates()
        return counts

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None):
        from sklearn.feature_extraction.text import TfidfTransformer

        texts = [text_of(sample) for sample in X]
        seen: dict[str, int] = {}  # every n-gram, with a provisional column
        rows = list(self._fit_rows(texts, seen))
        counts = self._matrix(rows, len(seen))
        # A story copy (article < 0) repeats its article's paragraphs: they count once,
        # for min_df and for the IDF weights alike.
        own = np.asarray([sample.article >= 0 for sample in X], dtype=bool)
        originals = counts[own] if not own.all() else counts
        document_frequency = np.bincount(originals.indices, minlength=len(seen))
        # As scikit-learn: an int is a number of paragraphs, a float a share of them.
        least = self.min_df if isinstance(self.min_df, numbers.Integral) else self.min_df * originals.shape[0]
        keep = document_frequency >= least
        if getattr(self, "min_articles", 1) > 1:
            keep &= self._article_frequency(X, counts) >= self.min_articles
        terms = sorted(g for g, j in seen.items() if keep[j])
        if not terms:
            raise ValueError(f"no n-gram occurs in {least} paragraphs; give more text")
        self.vocabulary_ = {g: i for i, g in enumerate(terms)}
        columns = np.asarray([seen[g] for g in terms], dtype=np.int64)
        counts = counts[:, columns]
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(originals[:, columns])
        return self.tfidf_.transform(counts)

    @staticmethod
    def _article_frequency(X, counts) -> np.ndarray:
        """In how many distinct articles each column of ``counts`` occurs."""
        import scipy.sparse as sp

        # An article's story copy is the same article.
        _, article = np.unique([source_article(sample.article) for sample in X], return_inverse=True)
        membership = sp.csr_matrix(
            (np.ones(len(article)), (article, np.arange(len(article)))), shape=(article.max() + 1, len(article))
        )
        present = (membership @ (counts > 0).astype(np.float64)).tocsr()
        return np.bincount(present.indices, minlength=counts.shape[1])

    def transform(self, X):
        texts = [text_of(sample) for sample in X]
        return self.tfidf_.transform(self._matrix(self._rows(texts), len(self.vocabulary_)))

    def get_feature_names_out(self, input_features=None):
        names = np.empty(len(self.vocabulary_), dtype=object)
        for g, i in self.vocabulary_.items():
            names[i] = g
        return names


_TOKEN = re.compile(r"(?u)\b\w\w+\b")
"""scikit-learn's default token pattern."""


class WordNgrams(_NgramTfidf):
    """TF-IDF of word n-grams, the same as ``TfidfVectorizer(preprocessor=text_of)``.

    The same tokens (two or more word characters), n-grams joined by a space,
    vocabulary and weights; looked up with C-level ``map`` calls instead of
    scikit-learn's Python loop over every n-gram.
    """

    def __init__(self, ngram_range=(1, 2), min_df: int = 2, sublinear_tf: bool = True, min_articles: int = 1):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.min_articles = min_articles

    def _terms(self, text: str) -> list[str]:
        tokens = _TOKEN.findall(text)
        min_n, max_n = self.ngram_range
        out = tokens[:] if min_n == 1 else []
        for n in range(max(min_n, 2), max_n + 1):
            out.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)))))
        return out

    def _fit_rows(self, texts, seen):
        for text in texts:
            yield [seen.setdefault(t, len(seen)) for t in self._terms(text)]

    def _rows(self, texts):
        lookup = self.vocabulary_.get
        known = functools.partial(operator.is_not, None)
        for text in texts:
            yield list(filter(known, map(lookup, self._terms(text))))


def _char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The character n-grams of one word padded with spaces, as ``char_wb`` makes them."""
    padded = f" {word} "
    size = len(padded)
    out = []
    for n in range(min_n, max_n + 1):
        if size <= n:  # a short word counts once, whole
            out.append(padded)
            break
        out.extend(padded[i : i + n] for i in range(size - n + 1))
    return out


class CharNgrams(_NgramTfidf):
    """TF-IDF of character n-grams within words, the same as scikit-learn's ``char_wb``.

    ``TfidfVectorizer(analyzer="char_wb", preprocessor=text_of, ...)`` builds
    every n-gram of every word of every paragraph as a Python string and looks
    each up in its vocabulary: it took about two thirds of classifying time.
    These n-grams depend on the word alone, and words repeat, so this
    transformer keeps, per distinct word, the vocabulary columns of its
    n-grams and builds a paragraph's counts from those.

    Parameters
    ----------
    ngram_range
        Smallest and largest n-gram length.
    min_df
        Keep n-grams found in at least this many paragraphs.
    sublinear_tf
        Use ``1 + log(count)`` for counts.
    cache_size
        Most distinct words remembered; the memory is cleared when full, so it
        stays bounded on any corpus.
    """

    def __init__(
        self,
        ngram_range=(3, 4),
        min_df: int = 2,
        sublinear_tf: bool = True,
        cache_size: int = 200_000,
        min_articles: int = 1,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.min_articles = min_articles
        self.cache_size = cache_size

    def _by_word(self, texts, columns, cache: dict) -> Iterator[list[int]]:
        get = cache.get
        for text in texts:
            row: list[int] = []
            for word in text.split():
                found = get(word)
                if found is None:
                    if len(cache) >= self.cache_size:
                        cache.clear()
                    found = cache[word] = columns(word)
                row.extend(found)
            yield row

    def _fit_rows(self, texts, seen):
        min_n, max_n = self.ngram_range

        def provisional(word: str) -> list[int]:
            return [seen.setdefault(g, len(seen)) for g in _char_wb_ngrams(word, min_n, max_n)]

        self._cache = {}  # columns of the vocabulary this fit replaces
        return self._by_word(texts, provisional, {})

    def _columns(self, word: str) -> list[int]:
        vocabulary = self.vocabulary_
        min_n, max_n = self.ngram_range
        return [vocabulary[g] for g in _char_wb_ngrams(word, min_n, max_n) if g in vocabulary]

    def _rows(self, texts):
        return self._by_word(texts, self._columns, self.__dict__.setdefault("_cache", {}))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)  # rebuilt as the model is used
        return state
