"""Reference line filters to compare a boilerplate filter with.

Each takes the lines of one page and returns one boolean per line, ``True`` for
a line to keep, in the shape :func:`triage.evaluation.aeb.line_scores` and
:func:`triage.evaluation.aeb.body_scores` score.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from difflib import SequenceMatcher

from triage.errors import ArgumentError, MissingExtra


MIN_WORDS = 10
"""The length rule's threshold: a line of fewer words is page furniture."""


def keep_all(lines: Sequence[str]) -> list[bool]:
    """The keep-everything baseline: every line is kept."""
    return [True] * len(lines)


def keep_min_words(lines: Sequence[str], *, min_words: int = MIN_WORDS) -> list[bool]:
    """The length rule: keep a line with at least ``min_words`` words.

    Words are the whitespace-separated pieces of the line.
    """
    return [len(line.split()) >= min_words for line in lines]


def _key(text: str) -> str:
    """A line's text as jusText reports it: whitespace runs folded, ends trimmed."""
    return " ".join(text.split())


def justext_keep(lines: Sequence[str], *, language: str = "English") -> list[bool]:
    """Keep the lines that jusText, with its default settings, finds not boilerplate.

    Every line is wrapped in ``<p>...</p>`` (HTML-escaped), so that jusText sees
    one paragraph per non-blank line, and the page is classified with
    ``justext.justext(html, justext.get_stoplist(language))``.

    Parameters
    ----------
    lines
        The lines of one page.
    language
        The jusText stoplist to use.

    Returns
    -------
    list[bool]
        One boolean per line. A line that yields no paragraph (empty, or only
        whitespace) is not kept.

    Raises
    ------
    MissingExtra
        jusText is not installed.
    ArgumentError
        jusText has no stoplist for ``language``.

    Notes
    -----
    jusText's paragraphs are matched back to the lines by their text, in order.
    Should jusText drop or alter a line, a run of unmatched paragraphs facing a
    run of unmatched lines of the same length is paired by position; any other
    unmatched line is not kept.
    """
    try:
        import justext
    except ImportError:
        raise MissingExtra("the jusText baseline", "eval") from None
    try:
        stoplist = justext.get_stoplist(language)
    except ValueError:
        raise ArgumentError(
            f"`language`: jusText has no stoplist {language!r}; "
            f"choose one of {', '.join(sorted(justext.get_stoplists()))}"
        ) from None
    kept = [False] * len(lines)
    candidates = [i for i, line in enumerate(lines) if _key(line)]
    if not candidates:
        return kept  # lxml cannot parse a document without text
    page = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)
    paragraphs = justext.justext(page, stoplist)
    matcher = SequenceMatcher(
        None,
        [_key(p.text) for p in paragraphs],
        [_key(lines[i]) for i in candidates],
        autojunk=False,
    )
    for tag, p_start, p_end, l_start, l_end in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and p_end - p_start == l_end - l_start):
            for p, line in zip(range(p_start, p_end), range(l_start, l_end)):
                kept[candidates[line]] = not paragraphs[p].is_boilerplate
    return kept
