"""Features of a paragraph in its article: masked words, characters and layout.

Each sample is a :class:`Context`: the paragraph's text, its place in the article
and its neighbours' texts. Everything here is a scikit-learn transformer or a
module-level function, so a fitted pipeline can be saved and reloaded.

- :mod:`~triage.features.context`: the sample, and the word and character counts
  the other modules share;
- :mod:`~triage.features.masking`: names, numbers and upper case, masked before the
  word features see them;
- :mod:`~triage.features.layout`: the shape of a paragraph and of its neighbours;
- :mod:`~triage.features.cues`: who does what, per sentence;
- :mod:`~triage.features.ngrams`: TF-IDF of word and character n-grams.

Model files name the transformers by their names here
(``triage.features.CharNgrams``), so moving one between these modules does not
change the file format.
"""

from triage.features.context import Context, contexts, text_of
from triage.features.cues import CUES, DIRECTED, CueFeatures
from triage.features.layout import SHAPE_NAMES, LayoutFeatures
from triage.features.masking import (
    UPPER_CASE_SHARE,
    NameMasker,
    sentence_case,
    upper_case_articles,
)
from triage.features.ngrams import CharNgrams, WordNgrams

__all__ = [
    "CUES",
    "DIRECTED",
    "SHAPE_NAMES",
    "UPPER_CASE_SHARE",
    "CharNgrams",
    "Context",
    "CueFeatures",
    "LayoutFeatures",
    "NameMasker",
    "WordNgrams",
    "contexts",
    "sentence_case",
    "text_of",
    "upper_case_articles",
]
