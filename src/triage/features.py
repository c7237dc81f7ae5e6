"""Features of a paragraph in its article: masked words, characters and layout.

Each sample is a :class:`Context`: the paragraph's text, its place in the article
and its neighbours' texts. Everything here is a scikit-learn transformer or a
module-level function, so a fitted pipeline pickles and reloads.

Names, numbers and dates are what differ most between the seed articles and a
report from another country, and what a small model memorises first. They are
masked before the word features see them: digits become ``0`` and a capitalised
word that the training text never uses in lower case (a place, a person, an
outlet) becomes ``xname``.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS


class Context(NamedTuple):
    """One paragraph as the model sees it."""

    text: str
    index: int
    count: int
    previous: str
    next: str
    article: int = 0
    """Tells the articles of a batch apart, for features that look at the whole article."""


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
_DIGITS = re.compile(r"\d+")
_CAPITALISED = re.compile(r"(?<!\w)(?<!\w['’])[^\W\da-z_]\w*(?:['’]\w+)*", re.UNICODE)
"""The words of ``_WORD`` that do not start with a digit, ``_`` or a-z."""
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s+)$")


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


class NameMasker(BaseEstimator, TransformerMixin):
    """Put upper-case articles in sentence case, then replace digits and proper names.

    ``fit`` learns which words the training text uses in lower case; a
    capitalised word outside that set, not at the start of a sentence, is
    taken for a name. An article whose letters are mostly upper case (see
    :func:`upper_case_articles`) is first put in sentence case with the same
    word set, so that it gets the features of the same text in sentence case.
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
        known = self.lower_vocabulary_
        out = []
        for sample in X:
            if sample.article in upper:
                sample = sample._replace(
                    text=sentence_case(sample.text, known),
                    previous=sentence_case(sample.previous, known),
                    next=sentence_case(sample.next, known),
                )
            out.append(sample._replace(text=self._mask(sample.text)))
        return out


def text_of(sample: Context) -> str:
    """The (masked) text of a sample, lower-cased: the TF-IDF preprocessor."""
    return sample.text.lower()


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


def _is_wide(ch: str) -> bool:
    """True for a character of a script written without spaces (CJK, kana, Hangul, Thai)."""
    return "\u0e00" <= ch <= "\u0e7f" or "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"


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


@lru_cache(maxsize=1 << 16)
def _shape(text: str) -> tuple[float, ...]:
    """Layout cues of one text: the kind jusText and boilerplate removers use.

    Cached: each text is also its neighbours' neighbour, and cross-validation
    sees the same texts in every fold.
    """
    words = _words(text)
    wide = 0 if text.isascii() else sum(map(_is_wide, text))
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
    paragraph, or a one-paragraph story, is as much content as its first. What
    lies around the story is judged from the neighbours, here and in the
    second pass (:mod:`triage.neighbours`). (Place features for short lines only
    were tried: muc 0.618 -> 0.600, aeb body F1 0.844 -> 0.838, seeds held out
    unchanged; left out.)
    """

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        rows = [_shape(sample.text) + _shape(sample.previous) + _shape(sample.next) for sample in X]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), 3 * len(SHAPE_NAMES))

    def get_feature_names_out(self, input_features=None):
        names = SHAPE_NAMES + [f"previous_{n}" for n in SHAPE_NAMES] + [f"next_{n}" for n in SHAPE_NAMES]
        return np.asarray(names, dtype=object)


# Who does what. Word stems (matched as prefixes of lower-cased words) that carry
# across countries and outlets: the actor and the action are what separate an
# attack from the state's response, whatever the place names.
CUES: dict[str, tuple[str, ...]] = {
    "state_actor": (
        "police", "policem", "officer", "ministr", "minister", "government", "authorit",
        "army", "soldier", "troop", "military", "gendarm", "carabinier", "prosecut",
        "court", "judge", "magistrat", "president", "prime minister", "governor", "mayor",
        "official", "spokes", "security forces", "security service", "agenc", "interior",
        "cabinet", "parliament", "lawmaker", "federal", "special forces", "counter-terror",
        "counterterror", "investigator", "detective", "coast guard", "guard", "commission",
        "state", "national guard", "intelligence", "sheriff", "fbi", "department",
    ),
    "state_action": (
        "arrest", "detain", "detention", "custody", "charg", "indict", "trial", "sentenc",
        "convict", "cordon", "lockdown", "curfew", "checkpoint", "raid", "manhunt",
        "search", "investigat", "probe", "inquiry", "alert", "threat level", "ban",
        "closed", "clos", "suspend", "deploy", "reinforc", "patrol", "emergency",
        "condemn", "vow", "pledg", "reassur", "urged", "urge", "announc", "order",
        "law", "legislat", "decree", "statement", "questioned", "interrogat", "extradit",
        "evacuat", "sealed", "seal", "operation", "apprehend", "captur", "neutrali",
        "promis", "called on", "appeal",
    ),
    "attacker": (
        "gunm", "attacker", "assailant", "militant", "insurgent", "bomber", "terrorist",
        "jihad", "rebel", "bandit", "gang", "extremist", "suspect", "perpetrator",
        "shooter", "kidnapper", "abductor", "armed men", "fighters", "cell", "islamist",
        "separatist", "militia", "knifem", "arsonist", "hijack",
    ),
    "violence": (
        "kill", "dead", "death", "die", "shot", "shoot", "gunfire", "fire", "explo",
        "blast", "bomb", "detonat", "stab", "wound", "injur", "attack", "storm", "ambush",
        "massacre", "behead", "abduct", "kidnap", "hostage", "torch", "burn", "arson",
        "grenade", "rocket", "mortar", "ied", "rampage", "rammed", "ram", "casualt",
        "victim", "hospital", "body", "bodies", "slain", "murder", "fatal", "blew",
        "claimed responsibility", "responsibility",
    ),
    "society": (
        "econom", "oil", "price", "poverty", "unemploy", "protest", "demonstrat", "unrest",
        "election", "opposition", "political", "politic", "religio", "ethnic", "tension",
        "history", "histor", "decade", "since independence", "rights", "watchdog",
        "critic", "analyst", "expert", "fear", "anxi", "worri", "mood", "residents",
        "community", "communities", "tourism", "investor", "reform", "land", "labor",
        "labour", "worker", "strike", "corruption", "discontent", "dissatisf", "trend",
        "region has", "long seen", "population", "muslim", "christian", "minority",
        "speculat", "social",
    ),
    "reporting": ("said", "say", "told", "according", "reported", "quoted", "stated", "added"),
}

_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]*\s+")


def _alternation(stems: tuple[str, ...]) -> str:
    """A group matching any stem (longest first; a space in a stem matches any spaces)."""
    ordered = sorted(stems, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in ordered) + ")"


def _cue_pattern(stems: tuple[str, ...]) -> re.Pattern:
    """One regex matching any stem at the start of a word."""
    return re.compile(r"\b" + _alternation(stems))


_CUE_PATTERNS = {name: _cue_pattern(stems) for name, stems in CUES.items()}


def _alternatives(stems: tuple[str, ...]) -> str:
    """A word beginning with any stem."""
    return _alternation(stems) + r"\w*"


_STATE_NOUN = _alternatives(
    ("police", "policem", "officer", "soldier", "troop", "army", "military", "gendarm",
     "guard", "security forces", "special forces", "servicem", "base", "checkpoint",
     "police station", "barracks", "patrol", "convoy", "agent")
)
_HARM = _alternatives(
    ("kill", "shot", "shoot", "wound", "injur", "attack", "ambush", "storm", "stab",
     "target", "hurt", "dead", "die", "murder", "behead", "abduct", "kidnap")
)
_GAP = r"(?:\W+\w+){0,4}?\W+"
_PASSIVE = r"\W+(?:\w+\W+){0,3}?(?:were|was|are|is|been|being|had|have)\W+(?:\w+\W+){0,2}?"
# Directed cues, per sentence: who acts on whom. The guide's tie-breaks turn on them:
# an attack on police is `attack`, police arresting or killing suspects is
# `state_response`, and violence relayed by an official ("the ministry said the
# gunman shot two officers") is still `attack`.
DIRECTED: dict[str, re.Pattern] = {
    # "police arrested", "authorities cordoned off", "troops raided"
    "state_acts": re.compile(
        r"\b" + _alternatives(CUES["state_actor"]) + _GAP + r"(?:\w+\W+)?" + _alternatives(CUES["state_action"])
    ),
    # "shooting a policeman", "attacked a military base", "killed six soldiers"
    "harm_to_state": re.compile(r"\b" + _HARM + _GAP + _STATE_NOUN),
    # "two officers were wounded", "seven police are being treated in hospital"
    "state_harmed": re.compile(
        r"\b" + _STATE_NOUN + _PASSIVE + r"(?:killed|wounded|injured|shot|hurt|treated|hospital\w*|dead)"
    ),
    # "security forces killed five militants", "police shot dead the attacker"
    "state_kills": re.compile(
        r"\b" + _alternatives(("police", "security forces", "troops", "soldiers", "army", "special forces", "officers"))
        + _GAP + r"(?:\w+\W+)?(?:kill|shot|captur|neutrali|eliminat|arrest)\w*"
        + r"(?:\W+\w+){0,4}?\W+" + _alternatives(CUES["attacker"] + ("alleged", "suspected"))
    ),
    # "gunmen opened fire", "the suspect then shot"
    "attacker_acts": re.compile(r"\b" + _alternatives(CUES["attacker"]) + _GAP + _HARM),
    # "residents said they were afraid", "we never thought this could happen here"
    "public_mood": re.compile(
        r"\b(?:"
        + _alternatives(("resident", "villager", "local", "people", "woman", "man", "shopkeeper",
                         "neighbour", "neighbor", "parent", "student", "trader"))
        + r"|we|i)\b(?:\W+\w+){0,8}?\W+"
        + _alternatives(("afraid", "fear", "scared", "frighten", "tense", "tension", "worr", "shock",
                         "never thought", "disbelie", "panic", "anxi", "nervous", "terrif", "calm",
                         "sleep", "safe"))
    ),
}


@lru_cache(maxsize=1 << 16)
def _cue_row(text: str) -> tuple[float, ...]:
    """Cue counts, densities and actor-action sentence shares of one text (cached)."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()] or [""]
    totals = dict.fromkeys(CUES, 0.0)
    state_pairs = attack_pairs = relayed = 0
    directed = dict.fromkeys(DIRECTED, 0)
    for sentence in sentences:
        lowered = sentence.lower()
        hits = {name: len(p.findall(lowered)) for name, p in _CUE_PATTERNS.items()}
        for name, count in hits.items():
            totals[name] += count
        state_pairs += bool(hits["state_actor"] and hits["state_action"])
        attack_pairs += bool(hits["attacker"] and hits["violence"])
        relayed += bool(hits["reporting"] and hits["violence"] and not hits["state_action"])
        if hits["state_actor"] or hits["attacker"] or hits["violence"]:
            for name, pattern in DIRECTED.items():
                directed[name] += pattern.search(lowered) is not None
    n_words = max(len(_words(text)), 1)
    n = len(sentences)
    return (
        tuple(math.log1p(totals[name]) for name in CUES)
        + tuple(totals[name] / n_words * 10 for name in CUES)
        + (state_pairs / n, attack_pairs / n, relayed / n)
        + tuple(directed[name] / n for name in DIRECTED)
    )


class CueFeatures(BaseEstimator, TransformerMixin):
    """Density of actor and action cues, and sentences pairing an actor with an action.

    A sentence where a state actor meets a state action ("police arrested") points
    to ``state_response``; an attacker meeting violence ("gunmen killed") to
    ``attack``. Counting those pairs per sentence keeps the cue local.
    """

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray([_cue_row(sample.text) for sample in X], dtype=np.float64)

    def get_feature_names_out(self, input_features=None):
        names = [f"cue_{n}" for n in CUES] + [f"cue_{n}_density" for n in CUES]
        names += ["state_actor_action_sentences", "attacker_violence_sentences", "relayed_violence_sentences"]
        return np.asarray(names + [f"{name}_sentences" for name in DIRECTED], dtype=object)


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
        document_frequency = np.bincount(counts.indices, minlength=len(seen))
        # As scikit-learn: an int is a number of paragraphs, a float a share of them.
        least = self.min_df if isinstance(self.min_df, numbers.Integral) else self.min_df * len(texts)
        keep = document_frequency >= least
        if getattr(self, "min_articles", 1) > 1:
            keep &= self._article_frequency(X, counts) >= self.min_articles
        terms = sorted(g for g, j in seen.items() if keep[j])
        if not terms:
            raise ValueError(f"no n-gram occurs in {least} paragraphs; give more text")
        self.vocabulary_ = {g: i for i, g in enumerate(terms)}
        counts = counts[:, np.asarray([seen[g] for g in terms], dtype=np.int64)]
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts)
        return self.tfidf_.transform(counts)

    @staticmethod
    def _article_frequency(X, counts) -> np.ndarray:
        """In how many distinct articles each column of ``counts`` occurs."""
        import scipy.sparse as sp

        _, article = np.unique([sample.article for sample in X], return_inverse=True)
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
