"""Reading HTML pages as blocks that keep what the markup says about them.

:func:`read_page` parses a page once (lxml) and returns its text blocks in
reading order, one per block element (a table row is one block, its cells
joined), each with the structure around it: its tag and its ancestors' tags,
its link density, the text and prose of the container it sits in, where it
sits against the page's main text (the element whose paragraphs hold the most
prose), whether the page's JSON-LD ``articleBody`` holds it, and whether it is in
one item of a series of like siblings (comments, teaser cards: see
:func:`_repeated_item`).

Class and id names (``entry-content``, ``comments``, ``share``) are not
features: sorted into fourteen groups and given to the stage, they lowered
its page-grouped cross-validation on the labelled pages (content F1 0.947
without them, 0.928 with them, 34 pages), and the body F1 on both public
benchmarks too: every site names things its own way, and the names on a few
dozen pages teach the stage those sites.

:func:`structure_matrix` turns the rest into the numeric features of the HTML
stage (:class:`HtmlStage`), a logistic regression that decides content or
boilerplate from them and from the text model's own boilerplate score.

Labelled pages for training are HTML files whose block elements carry
``data-label`` attributes (the innermost wins); the attribute is read for the
label only, never as a feature (see :func:`read_labelled_page`).
"""

from __future__ import annotations

import codecs
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import InputError, ModelError
from triage.text import MAX_PARAGRAPHS, _utf16_without_bom, decode_bytes

# Elements whose text is never shown.
DROPPED = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
# Elements that start and end a block of text. Table cells are not blocks: a row is.
BLOCKS = frozenset(
    """address article aside blockquote body caption dd details div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
    tbody tfoot thead tr ul br option legend label button center""".split()
)
_CELLS = frozenset({"td", "th"})
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[.!?。！？…\"'”»)]\s*$")

# The two kinds of page furniture whose class and id names are alike on nearly every
# site (and the content-like names of neither): reader comments and consent notices.
NAME_HINTS: dict[str, re.Pattern] = {
    "comments": re.compile(r"(?:^|[^a-z])(?:comments?|commentlist|disqus|replies|respond)(?:$|[^a-z])"),
    "consent": re.compile(r"(?:^|[^a-z])(?:cookies?|consent|gdpr|cmp)(?:$|[^a-z])"),
}

OWN_TAGS = ("p", "heading", "minor_heading", "li", "div", "tr", "quote", "caption", "dl", "control", "other")
_OWN_TAG = {
    "p": "p", "h1": "heading", "h2": "heading", "h3": "heading", "h4": "minor_heading",
    "h5": "minor_heading", "h6": "minor_heading", "li": "li", "div": "div", "section": "div",
    "article": "div", "main": "div", "body": "div", "center": "div", "tr": "tr", "table": "tr",
    "tbody": "tr", "thead": "tr", "tfoot": "tr", "blockquote": "quote", "pre": "quote",
    "figcaption": "caption", "caption": "caption", "figure": "caption", "dd": "dl", "dt": "dl",
    "dl": "dl", "option": "control", "label": "control", "button": "control", "legend": "control",
    "form": "control", "fieldset": "control", "td": "div", "th": "div",
}
ANCESTOR_TAGS = ("nav", "header", "footer", "aside", "form", "figure", "list", "table", "article",
                 "main", "blockquote", "a", "button")
_ANCESTOR_TAG = {"ul": "list", "ol": "list", "li": "list", "menu": "list", "select": "form",
                 "figcaption": "figure", "td": "table", "th": "table", "tr": "table"}


@dataclass
class Block:
    """One text block of a page, with its structure (see :func:`read_page`)."""

    text: str
    tag: str
    ancestors: frozenset[str]
    link_chars: int
    depth: int
    hints: frozenset[str] = frozenset()
    element: Any = field(repr=False, default=None)
    label: str | None = None


@dataclass
class Page:
    """A page's blocks and what its markup says as a whole."""

    blocks: list[Block]
    title: str = ""
    headline: str = ""
    ld_body: str = ""
    n_articles: int = 0
    layout: np.ndarray | None = field(default=None, repr=False)
    """The features that do not depend on the text model, one row per block (see :func:`structure_matrix`)."""
    containers: np.ndarray | None = field(default=None, repr=False)
    """For each block, the number of the container it sits in (blocks of one list share one)."""


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _parse(raw: bytes | str, source: str):
    from lxml import etree
    import lxml.html

    if isinstance(raw, bytes):
        raw = _decode_html(raw, source)
    raw = _XML_DECLARATION.sub("", raw, count=1).replace("\ufeff", "")
    # Control characters are no text, and lxml refuses to move them when it drops a
    # <script> whose tail holds one.
    raw = _CONTROLS.sub("", raw)
    if not raw.strip():
        return None
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        root = lxml.html.document_fromstring(raw, parser=parser)
    except etree.ParserError as exc:
        if "empty" in str(exc):  # nothing but comments: an empty page, as a blank one is
            return None
        raise InputError(f"{source}: not readable HTML ({exc})") from None
    except ValueError as exc:
        raise InputError(f"{source}: not readable HTML ({exc})") from None
    for entry in parser.error_log:
        if entry.level >= etree.ErrorLevels.FATAL:
            fix = "nest its elements less deeply" if "depth" in entry.message else "check the page"
            raise InputError(
                f"{source}: the page cannot be read whole ({entry.message.strip()}, line {entry.line}); {fix}"
            )
    return root


def _ld_fields(root) -> tuple[str, str]:
    """The longest ``articleBody`` and the first ``headline`` in the page's JSON-LD."""
    bodies: list[str] = []
    headlines: list[str] = []

    def walk(value, depth=0):
        if depth > 20:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "articleBody" and isinstance(item, str):
                    bodies.append(item)
                elif key == "headline" and isinstance(item, str):
                    headlines.append(item)
                else:
                    walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            try:
                walk(json.loads(script.text))
            except (ValueError, RecursionError):
                continue
    return (max(bodies, key=len) if bodies else ""), (headlines[0] if headlines else "")


def _meta(root, name: str) -> str:
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == name:
            return (meta.get("content") or "").strip()
    return ""


def read_page(raw: bytes | str, *, source: str = "<html>", keep_labels: bool = False) -> Page:
    """The text blocks of a page in reading order, each with its structural context.

    Scripts, styles and the ``<head>`` are not text; the page's title, Open
    Graph title and JSON-LD ``articleBody`` and ``headline`` are kept as page
    hints. With ``keep_labels`` each block's ``label`` is the ``data-label`` of
    its innermost labelled element (or ancestor).

    Raises
    ------
    InputError
        The bytes are binary or not readable as HTML, or the page has more
        than :data:`~triage.text.MAX_PARAGRAPHS` blocks.
    """
    root = _parse(raw, source)
    if root is None:
        page = Page([])
        _lay_out(page)
        return page
    title_element = root.find(".//title")
    title = _SPACE.sub(" ", title_element.text_content()).strip() if title_element is not None else ""
    ld_body, ld_headline = _ld_fields(root)
    headline = _meta(root, "og:title") or ld_headline
    for element in list(root.iter(*DROPPED)):
        if element.getparent() is not None:
            element.drop_tree()
    body = root.find("body")
    top = body if body is not None else root
    n_articles = sum(1 for _ in top.iter("article"))

    # The elements of a page share a few class names: each pair is matched once.
    known: dict[tuple[str | None, str | None], frozenset[str]] = {(None, None): frozenset()}

    def own_hints(element) -> frozenset[str]:
        key = (element.get("class"), element.get("id"))
        found = known.get(key)
        if found is None:
            names = f"{key[0] or ''} {key[1] or ''}".lower()
            found = known[key] = frozenset(
                hint for hint, pattern in NAME_HINTS.items() if names.strip() and pattern.search(names)
            )
        return found

    chains: dict[Any, tuple[frozenset[str], frozenset[str], int]] = {None: (frozenset(), frozenset(), 0)}

    def around(element) -> tuple[frozenset[str], frozenset[str], int]:
        """The ancestor tags and name hints of ``element`` and all above it, and its depth.

        Each element's answer is its parent's and its own, kept: the blocks of a
        page share their ancestors, so the page costs one step per element, and
        a page nested thousands of levels deep is walked without recursion.
        """
        found = chains.get(element)
        if found is not None:
            return found
        path = []
        while element not in chains:
            path.append(element)
            element = element.getparent()
        tags, hints, depth = chains[element]
        for element in reversed(path):
            tag = element.tag if isinstance(element.tag, str) else ""
            mapped = _ANCESTOR_TAG.get(tag, tag)
            if mapped in ANCESTOR_TAGS and mapped not in tags:
                tags = tags | {mapped}
            own = own_hints(element)
            if own and not own <= hints:
                hints = hints | own
            depth += 1
            chains[element] = (tags, hints, depth)
        return chains[path[0]]

    blocks: list[Block] = []
    buffer: list[str] = []
    link_chars = [0]
    # open block elements and the depth of the current element
    owners: list[Any] = [top]

    def flush() -> None:
        raw = "".join(buffer)
        links = link_chars[0]
        buffer.clear()
        link_chars[0] = 0
        if not owners or not raw or raw.isspace():  # most flushes: between tags
            return
        text = _SPACE.sub(" ", raw).strip()
        if len(blocks) >= MAX_PARAGRAPHS:  # before the blocks, not the text model, fill the memory
            raise InputError(
                f"{source}: has more than {MAX_PARAGRAPHS:,} text blocks, more than a page can be; split it"
            )
        owner = owners[-1]
        ancestors, above_hints, depth = around(owner.getparent())
        hints = own_hints(owner) | above_hints
        label = None
        if keep_labels:
            label = owner.get("data-label")
            if label is None:
                for element in owner.iterancestors():
                    label = element.get("data-label")
                    if label is not None:
                        break
            if label is None:  # labelled inside the block (the cells of a row): the most text wins
                inner = [(len(e.text_content()), e.get("data-label")) for e in owner.iterdescendants()
                         if isinstance(e.tag, str) and e.get("data-label") is not None]
                if inner:
                    label = max(inner)[1]
        blocks.append(
            Block(
                text=text,
                tag=_OWN_TAG.get(owner.tag, "other"),
                ancestors=frozenset(ancestors),
                hints=frozenset(hints),
                link_chars=min(links, len(text)),
                depth=depth,
                element=owner,
                label=label,
            )
        )

    # The elements with a block inside them, in one pass from the last element back
    # (every element comes after its ancestors in document order).
    holding: set[Any] = set()
    for element in reversed(list(top.iter())):
        if element in holding or (isinstance(element.tag, str) and element.tag.lower() in BLOCKS):
            parent = element.getparent()
            if parent is not None:
                holding.add(parent)

    # Depth-first over an explicit stack: a page may nest deeper than Python recurses.
    todo: list[tuple[str, Any]] = [("open", top)]
    links_open = 0
    while todo:
        action, item = todo.pop()
        if action == "tail":
            buffer.append(item)
            if links_open:
                link_chars[0] += len(item.strip())
            continue
        if action == "close":
            flush()
            owners.pop()
            continue
        if action == "close_link":
            links_open -= 1
            continue
        if not isinstance(item.tag, str):  # comments, processing instructions
            continue
        tag = item.tag.lower()
        # A cell that holds blocks of its own is a layout cell (a page laid out as a
        # table): a block. A cell of plain text is part of its row.
        if tag in BLOCKS or (tag in _CELLS and item in holding):
            flush()
            owners.append(item)
            todo.append(("close", None))
        elif tag in _CELLS:
            buffer.append(" ")
        if tag == "a":
            links_open += 1
            todo.append(("close_link", None))
        if item.text:
            buffer.append(item.text)
            if links_open:
                link_chars[0] += len(item.text.strip())
        for child in reversed(item):
            if child.tail:
                todo.append(("tail", child.tail))
            todo.append(("open", child))
    flush()
    page = Page(blocks, title=title, headline=headline, ld_body=ld_body, n_articles=n_articles)
    _lay_out(page)
    return page


def read_labelled_page(path: Path) -> Page:
    """A training page: its blocks, each with the ``data-label`` it sits under.

    Raises
    ------
    LabelError
        The page has no text, or a block has no label or one that is not one of the four.
    """
    from triage.config import LABELS
    from triage.errors import LabelError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LabelError(f"{path}: cannot be read ({exc.strerror})") from None
    page = read_page(raw, source=str(path), keep_labels=True)
    if not page.blocks:
        raise LabelError(f"{path}: has no text to label; give it a page's text, or take it out of the folder")
    for number, block in enumerate(page.blocks):
        if block.label not in LABELS:
            problem = "no data-label" if block.label is None else f"data-label {block.label!r}"
            raise LabelError(
                f"{path}: block {number} ({block.text[:40]!r}) has {problem}; give it (or an "
                f"element around it) data-label set to one of {', '.join(LABELS)}"
            )
    return page


def load_pages(folder: Path) -> list[tuple[Path, Page]]:
    """Every labelled page (``*.html``) under ``folder``, sorted by path."""
    return [(path, read_labelled_page(path)) for path in sorted(Path(folder).rglob("*.html"))]


# Features.


def _units(text: str) -> float:
    """Length in words, counting two CJK characters as a word (those scripts use no spaces)."""
    return max(len(text.split()), len(_CJK.findall(text)) / 2.0)


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _fold(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


STRUCTURE_FEATURES: tuple[str, ...] = (
    tuple(f"tag={t}" for t in OWN_TAGS)
    + tuple(f"in={t}" for t in ANCESTOR_TAGS)
    + tuple(f"under={name}" for name in NAME_HINTS)
    + (
        "link_density",
        "all_link",
        "log_units",
        "short",
        "sentence_end",
        "depth",
        "in_main_text",
        "before_main_text",
        "after_main_text",
        "container_share",
        "container_prose",
        "container_blocks",
        "page_has_ld_body",
        "in_ld_body",
        "outside_ld_body",
        "is_headline",
        "many_articles",
        "repeated_item",
        "item_link_density",
        "item_blocks",
        "text_logit",
        "text_logit_in_main",
        "container_text_logit",
        "previous_text_logit",
        "next_text_logit",
    )
)


_TEXT_FEATURES = (
    "text_logit", "text_logit_in_main", "container_text_logit", "previous_text_logit", "next_text_logit",
)
_INDEX = {name: i for i, name in enumerate(STRUCTURE_FEATURES)}
_CONTAINED = ("p", "heading", "minor_heading", "li", "tr", "quote", "caption", "dl")


class _ShortMatch:
    """Whether a block of one or two words (folded) stands in the folded JSON-LD body.

    A substring test, as for any block, but against the body's distinct words
    (or word pairs) rather than the whole body, and once per distinct text:
    a 10 MB ``articleBody`` under 20,000 one-word links took minutes. The
    answer is the same: a text without a space is in the body exactly when it
    is in one of its words, and ``a b`` exactly when it spans a pair of them.
    Past :data:`_MATCH_BUDGET` characters searched, the rest of the page's
    short blocks are matched as whole words (a hostile page; none of the
    benchmarks' comes near it).
    """

    def __init__(self, folded: str):
        words = folded.split(" ")
        self.folded = folded
        self.words = set(words)
        self.pairs = set(itertools.pairwise(words))
        self.haystacks = {1: "\n".join(self.words), 2: "\n".join(f"{a} {b}" for a, b in self.pairs)}
        self.known: dict[str, bool] = {}
        self.searched = 0

    def __call__(self, text: str) -> bool:
        if not text:
            return False
        found = self.known.get(text)
        if found is None:
            n = text.count(" ") + 1
            haystack = self.haystacks.get(n, self.folded)  # longer texts are matched by shingles instead
            if n > 2 or self.searched + len(haystack) <= _MATCH_BUDGET:
                self.searched += len(haystack)
                found = text in haystack
            else:
                found = text in self.words if n == 1 else tuple(text.split(" ")) in self.pairs
            self.known[text] = found
        return found


_MATCH_BUDGET = 2 * 10**9
"""Characters of JSON-LD searched for a page's short blocks before whole words are matched instead."""


def _lay_out(page: Page) -> None:
    """Fill ``page.layout`` and ``page.containers`` from the parsed tree, then let the tree go.

    After this the page holds only text, numbers and arrays (it can be sent to
    another process); :func:`structure_matrix` adds the text model's part.
    """
    blocks = page.blocks
    n = len(blocks)
    X = np.zeros((n, len(STRUCTURE_FEATURES)), dtype=np.float64)
    page.layout, page.containers = X, np.zeros(n, dtype=np.int64)
    if n == 0:
        return
    index = _INDEX
    units = np.array([_units(b.text) for b in blocks])
    density = np.array([b.link_chars / max(len(b.text), 1) for b in blocks])
    prose = (units >= 10) & (density < 0.35)
    chars = np.array([len(b.text) for b in blocks], dtype=np.float64)
    total = max(chars.sum(), 1.0)
    # Text and prose per element, summed up the tree (each block counts for its ancestors):
    # each block's at its own element, then every element's passed to its parent,
    # children first (reversed document order), one step per element.
    subtree: dict[Any, list[float]] = {}
    containers = []
    for i, block in enumerate(blocks):
        parent = block.element.getparent()
        containers.append(parent if parent is not None and block.tag in _CONTAINED else block.element)
        entry = subtree.setdefault(block.element, [0.0, 0.0, 0, 0.0])
        entry[0] += chars[i]
        entry[1] += chars[i] if prose[i] else 0.0
        entry[2] += 1
        entry[3] += block.link_chars
    for element in reversed(list(blocks[0].element.getroottree().getroot().iter())):
        entry = subtree.get(element)
        parent = element.getparent() if entry is not None else None
        if parent is None:
            continue
        above = subtree.get(parent)
        if above is None:
            subtree[parent] = entry.copy()
        else:
            above[0] += entry[0]
            above[1] += entry[1]
            above[2] += entry[2]
            above[3] += entry[3]
    # The main text: the element whose own children's prose is largest (a readability-style
    # score: a block's prose counts fully for its container and half for the one above it).
    score: dict[Any, float] = {}
    for i in np.flatnonzero(prose):
        c = containers[i]
        score[c] = score.get(c, 0.0) + chars[i]
        above = c.getparent()
        if above is not None:
            score[above] = score.get(above, 0.0) + chars[i] / 2
    main = max(score, key=score.get) if score else None
    inside = np.zeros(n, dtype=bool)
    if main is not None:
        within = set(main.iter())
        for i, block in enumerate(blocks):
            inside[i] = block.element in within
    positions = np.flatnonzero(inside)
    first, last = (positions[0], positions[-1]) if len(positions) else (n, -1)
    ones_rows, ones_cols = [], []
    for i, block in enumerate(blocks):
        names = [f"tag={block.tag}", *(f"in={tag}" for tag in block.ancestors), *(f"under={h}" for h in block.hints)]
        ones_rows += [i] * len(names)
        ones_cols += map(index.__getitem__, names)
    X[ones_rows, ones_cols] = 1.0
    X[:, index["link_density"]] = density
    X[:, index["all_link"]] = density >= 0.9
    X[:, index["log_units"]] = [math.log1p(u) for u in units]
    X[:, index["short"]] = units < 4
    X[:, index["sentence_end"]] = [_SENTENCE_END.search(b.text) is not None for b in blocks]
    X[:, index["depth"]] = np.minimum([b.depth for b in blocks], 40) / 40
    place = np.arange(n)
    X[:, index["in_main_text"]] = inside
    X[:, index["before_main_text"]] = place < first
    X[:, index["after_main_text"]] = place > last
    entries = np.array([subtree[c][:3] for c in containers], dtype=np.float64)
    X[:, index["container_share"]] = entries[:, 0] / total
    X[:, index["container_prose"]] = entries[:, 1] / np.maximum(entries[:, 0], 1.0)
    X[:, index["container_blocks"]] = [math.log1p(e) for e in entries[:, 2]]
    ld = page.ld_body
    if ld:
        ld_shingles = _shingles(ld)
        in_ld = _ShortMatch(_fold(ld))
        found = np.zeros(n)
        for i, block in enumerate(blocks):
            own = _shingles(block.text)
            if own and len(next(iter(own))) == 3:
                found[i] = len(own & ld_shingles) / len(own)
            else:
                found[i] = float(in_ld(_fold(block.text)))
        X[:, index["page_has_ld_body"]] = 1.0
        X[:, index["in_ld_body"]] = found
        X[:, index["outside_ld_body"]] = 1.0 - found
    headline = _fold(page.headline) if page.headline else ""
    if headline:  # a headline of punctuation only folds to "", as do blocks like "|"
        X[:, index["is_headline"]] = [_fold(b.text) == headline for b in blocks]
    X[:, index["many_articles"]] = float(page.n_articles >= 3)
    numbers: dict[Any, int] = {}
    signatures: dict[Any, dict] = {}
    items: dict[Any, tuple[Any, int]] = {}
    repeated, item_links, item_blocks = index["repeated_item"], index["item_link_density"], index["item_blocks"]
    for i, block in enumerate(blocks):
        item, repeats = _repeated_item(block.element, signatures, items)
        if item is not None:
            entry = subtree[item]
            X[i, repeated] = math.log1p(repeats)
            X[i, item_links] = entry[3] / max(entry[0], 1.0)
            X[i, item_blocks] = math.log1p(entry[2])
        page.containers[i] = numbers.setdefault(containers[i], len(numbers))
    for block in blocks:
        block.element = None


_DIGITS = re.compile(r"\d+")
ITEM_LEVELS = 4
"""How far above a block's own element :func:`_repeated_item` looks for a repeated item."""
MIN_REPEATS = 3
"""Siblings alike (itself included) that make an element one item of a repeated series."""


def _signature(element) -> tuple[str, str]:
    """An element's tag and class names, digits dropped: what the items of one series share."""
    names = element.get("class")
    if not names:
        return element.tag, ""
    return element.tag, " ".join(sorted(_DIGITS.sub("", names).split()))


def _repeated_item(element, signatures: dict[Any, dict], items: dict[Any, tuple[Any, int]]) -> tuple[Any, int]:
    """The nearest element above ``element`` that is one of a series of like siblings, and their number.

    Comments and teaser cards are series of items that share a tag and class
    names; most articles' bodies sit in one element. The search starts at the
    block's parent (a body's paragraphs are a series of ``<p>`` themselves, and
    so are the ``<li>`` of a plain list and the rows of a table: those are left
    to their tags) and climbs :data:`ITEM_LEVELS` levels; it returns
    ``(None, 0)`` when none is found. A body whose every paragraph is wrapped
    in a like ``<div>``, or that is split into three or more like sections, is
    a series too: the feature is one the stage weighs with the rest, not a
    verdict. ``signatures`` caches each parent's count of its children's
    signatures, ``items`` the answer for each parent a search starts at (the
    blocks of one element share it).
    """
    start = element.getparent()
    found = items.get(start)
    if found is None:
        found = items[start] = _climb(start, signatures)
    return found


def _climb(current, signatures: dict[Any, dict]) -> tuple[Any, int]:
    for _ in range(ITEM_LEVELS):
        if current is None or current.tag in ("body", "html"):
            break
        parent = current.getparent()
        if parent is None:
            break
        counts = signatures.get(parent)
        if counts is None:
            counts = signatures[parent] = {}
            for child in parent:
                if isinstance(child.tag, str):
                    key = _signature(child)
                    counts[key] = counts.get(key, 0) + 1
        repeats = counts.get(_signature(current), 0)
        if repeats >= MIN_REPEATS:
            return current, repeats
        current = parent
    return None, 0


def structure_matrix(page: Page, text_boilerplate: Sequence[float]) -> np.ndarray:
    """The HTML stage's features of every block: the page's layout and the text model's score.

    ``text_boilerplate`` is the text model's boilerplate probability of each block.
    """
    X = page.layout.copy()
    n = len(X)
    if n == 0:
        return X
    logits = np.log(np.clip(np.asarray(text_boilerplate, dtype=np.float64), 1e-4, 1 - 1e-4))
    logits -= np.log1p(-np.clip(np.asarray(text_boilerplate, dtype=np.float64), 1e-4, 1 - 1e-4))
    containers = page.containers
    sums = np.bincount(containers, weights=logits)
    counts = np.bincount(containers)
    X[:, _INDEX["text_logit"]] = logits
    X[:, _INDEX["text_logit_in_main"]] = logits * X[:, _INDEX["in_main_text"]]
    X[:, _INDEX["container_text_logit"]] = sums[containers] / counts[containers]
    X[1:, _INDEX["previous_text_logit"]] = logits[:-1]
    X[:-1, _INDEX["next_text_logit"]] = logits[1:]
    return X


@dataclass
class HtmlStage:
    """Content or boilerplate for each block of a page, from its structure and its text's score.

    A logistic regression on :data:`STRUCTURE_FEATURES`, standardised, and
    optionally a ``second`` one that also reads the first one's scores of the
    block's container and neighbours (:data:`NEIGHBOUR_FEATURES`), as the text
    model's neighbour pass does; kept as plain lists so that a model file
    stores it as data.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5
    features: tuple[str, ...] = STRUCTURE_FEATURES
    second: HtmlStage | None = None

    def boilerplate(self, X: np.ndarray) -> np.ndarray:
        """Boilerplate probability of each row of features (this regression alone)."""
        if len(X) == 0:
            return np.zeros(0)
        z = ((X - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def page_boilerplate(self, X: np.ndarray, containers: np.ndarray) -> np.ndarray:
        """Boilerplate probability of each block of one page (rows of ``X`` in reading order)."""
        first = self.boilerplate(X)
        if self.second is None or len(X) == 0:
            return first
        return self.second.boilerplate(np.c_[X, neighbour_matrix(first, containers)])

    def to_data(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "threshold": float(self.threshold),
            "second": self.second.to_data() if self.second is not None else None,
        }

    @classmethod
    def from_data(cls, data: Any, *, where: str = "model", features: tuple[str, ...] = STRUCTURE_FEATURES) -> HtmlStage:
        """Rebuild a stage from :meth:`to_data`'s output.

        Raises
        ------
        ModelError
            The data is malformed or was made for other features.
        """
        malformed = ModelError(where, "its HTML stage is malformed", ModelError.REBUILD)
        try:
            given = tuple(data["features"])
            arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "coef")]
            intercept = float(data["intercept"])
            threshold = float(data["threshold"])
            second = data.get("second")
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise malformed from None
        if given != features:
            raise ModelError(
                where, "its HTML stage was fitted on other page features than this version computes", ModelError.REBUILD
            )
        # Within what a fit gives (scale at least 1e-9, see fit_stage), so that no page's features can
        # overflow into a NaN score; a drop threshold is a probability.
        if any(a.shape != (len(features),) or not np.all(np.abs(a) <= _MAX_PARAMETER) for a in arrays):
            raise malformed
        if np.any(arrays[1] < 1e-9) or not abs(intercept) <= _MAX_PARAMETER or not 0 <= threshold <= 1:
            raise malformed
        if second is not None:
            second = cls.from_data(second, where=where, features=features + NEIGHBOUR_FEATURES)
        return cls(arrays[0], arrays[1], arrays[2], intercept, threshold, features, second)


_MAX_PARAMETER = 1e6
"""Largest magnitude of a stored mean, scale, coefficient or intercept (fitted ones stay far below)."""

NEIGHBOUR_FEATURES = (
    "first_logit", "first_container_logit", "first_previous_logit", "first_next_logit", "first_window_logit",
)


def neighbour_matrix(first: np.ndarray, containers: np.ndarray) -> np.ndarray:
    """The first regression's log-odds for each block, its container's mean, its neighbours' and a 5-block window's."""
    p = np.clip(np.asarray(first, dtype=np.float64), 1e-4, 1 - 1e-4)
    logits = np.log(p) - np.log1p(-p)
    mean = np.bincount(containers, weights=logits)[containers] / np.bincount(containers)[containers]
    previous = np.r_[0.0, logits[:-1]]
    following = np.r_[logits[1:], 0.0]
    # mode="same" would return five values for a page of fewer than five blocks.
    window = np.convolve(logits, np.ones(5) / 5, mode="full")[2 : 2 + len(logits)]
    return np.c_[logits, mean, previous, following, window]


def fit_stage(X: np.ndarray, y: np.ndarray, *, weights: np.ndarray | None = None, C: float = 1.0) -> HtmlStage:
    """Fit the HTML stage on block features ``X`` and ``y`` (True for boilerplate)."""
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    regression = LogisticRegression(C=C, max_iter=2000)
    regression.fit((X - mean) / scale, y, sample_weight=weights)
    return HtmlStage(mean, scale, regression.coef_[0].copy(), float(regression.intercept_[0]))


def text_scores(model, page: Page) -> list[float]:
    """The text model's boilerplate probability of each block, the page read as one article."""
    return [p for p, _ in model.line_scores([b.text for b in page.blocks])]


@dataclass
class StageFit:
    """An HTML stage and its page-grouped cross-validation on the labelled pages."""

    stage: HtmlStage
    out_of_fold: np.ndarray
    is_boilerplate: np.ndarray
    weights: np.ndarray
    figures: dict[str, Any]


def _block_weights(pages: Sequence[Page]) -> np.ndarray:
    """Each block weighs the square root of its length: the body metric counts words."""
    return np.array([math.sqrt(max(_units(b.text), 1.0)) for page in pages for b in page.blocks])


def _recall_threshold(p: np.ndarray, boilerplate: np.ndarray, weights: np.ndarray, recall: float) -> float:
    """The lowest probability to drop at that keeps ``recall`` of the content's weight (never below 0.5)."""
    content = ~boilerplate
    order = np.argsort(-p[content])
    dropped = np.cumsum(weights[content][order]) / max(weights[content].sum(), 1e-9)
    allowed = np.searchsorted(dropped, 1 - recall, side="right")
    if allowed >= len(order):
        return 0.5
    return float(max(0.5, np.nextafter(p[content][order][allowed], 1.0)))


def _weighted_figures(p: np.ndarray, boilerplate: np.ndarray, weights: np.ndarray, threshold: float) -> dict:
    kept = p < threshold
    content = ~boilerplate
    tp = weights[kept & content].sum()
    precision = tp / max(weights[kept].sum(), 1e-9)
    recall = tp / max(weights[content].sum(), 1e-9)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"content_precision": round(float(precision), 4), "content_recall": round(float(recall), 4),
            "content_f1": round(float(f1), 4)}


def _out_of_fold(X: np.ndarray, y: np.ndarray, weights: np.ndarray, splits, C: float) -> np.ndarray:
    """Each row's boilerplate probability from a regression fitted on the other folds."""
    out = np.zeros(len(y))
    for train_idx, test_idx in splits:
        if y[train_idx].all() or not y[train_idx].any():
            out[test_idx] = y[train_idx].mean()
            continue
        out[test_idx] = fit_stage(X[train_idx], y[train_idx], weights=weights[train_idx], C=C).boilerplate(X[test_idx])
    return out


def train_stage(
    model, pages: Sequence[Page], *, folds: int = 5, content_recall: float = 0.98, C: float = 1.0
) -> StageFit:
    """Fit the HTML stage on labelled pages, with the text model's scores as one of its features.

    The drop threshold is chosen out of fold (pages grouped, ``folds`` folds) to
    keep ``content_recall`` of the content's weight (blocks weigh the square root
    of their length); the figures there are stored with the stage.

    Raises
    ------
    LabelError
        Fewer than two pages, or no block of one of the two kinds.
    """
    from sklearn.model_selection import GroupKFold

    from triage.errors import LabelError

    if len(pages) < 2:
        raise LabelError(f"the HTML stage needs at least two labelled pages, found {len(pages)}")
    matrices = [structure_matrix(page, text_scores(model, page)) for page in pages]
    X = np.vstack(matrices)
    y = np.array([b.label == "boilerplate" for page in pages for b in page.blocks])
    if y.all() or not y.any():
        raise LabelError(
            "the labelled pages need both boilerplate and story blocks to train on; label the other kind on "
            "some page too"
        )
    groups = np.repeat(np.arange(len(pages)), [len(m) for m in matrices])
    weights = _block_weights(pages)
    splits = list(GroupKFold(n_splits=min(folds, len(pages))).split(X, y, groups))
    oof = _out_of_fold(X, y, weights, splits, C)
    # The second regression reads the first one's out-of-fold scores of each block's
    # container and neighbours, as it will read the fitted first one's on new pages.
    offsets = np.cumsum([0] + [len(m) for m in matrices])
    X2 = np.vstack([
        np.c_[matrices[n], neighbour_matrix(oof[offsets[n] : offsets[n + 1]], pages[n].containers)]
        for n in range(len(pages))
    ])
    oof2 = _out_of_fold(X2, y, weights, splits, C)
    first_figures = _weighted_figures(oof, y, weights, _recall_threshold(oof, y, weights, content_recall))
    oof = oof2
    threshold = _recall_threshold(oof, y, weights, content_recall)
    stage = fit_stage(X, y, weights=weights, C=C)
    stage.second = fit_stage(X2, y, weights=weights, C=C)
    stage.second.features = STRUCTURE_FEATURES + NEIGHBOUR_FEATURES
    stage.threshold = threshold
    figures = {
        "pages": len(pages),
        "blocks": int(len(y)),
        "folds": int(min(folds, len(pages))),
        "threshold": round(threshold, 4),
        **_weighted_figures(oof, y, weights, threshold),
        "at_0.5": _weighted_figures(oof, y, weights, 0.5),
        "first_regression_alone": first_figures,
    }
    return StageFit(stage, oof, y, weights, figures)


# -- Decoding a page's bytes ------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


# ASCII that every charset an HTML page may declare keeps as it is; what changes it
# (UTF-16, UTF-7, idna, the escape codecs, EBCDIC) cannot be the page's charset.
_ASCII_PROBE = "<meta charset=x> A+-&;~\\u0041 " + "x" * 70 + "\n"
_HTML_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def _declared_codec(name: bytes) -> str | None:
    """The codec a page's ``<meta charset>`` names, if it is one a page can be written in."""
    try:
        codec = codecs.lookup(name.decode("ascii")).name
        probe = _ASCII_PROBE.encode(codec)
        return codec if probe == _ASCII_PROBE.encode("ascii") and probe.decode(codec) == _ASCII_PROBE else None
    except (LookupError, UnicodeError, ValueError):
        return None


def _decode_html(raw: bytes, source: str) -> str:
    """A page's text: by its BOM, else as UTF-16 told by its NULs, UTF-8, its ``<meta>`` charset, or detected.

    Bytes that are valid UTF-8 are read as UTF-8 whatever the page declares: a
    page in another encoding is almost never valid UTF-8 by chance, and pages
    that declare one charset and are written in another are common. A declared
    charset that cannot be a page's (``utf-16`` on ASCII bytes, ``idna``) or
    that the bytes are not valid in is passed over for detection.
    """
    if raw.startswith(_HTML_BOMS):
        return decode_bytes(raw, source=source)
    if b"\x00" in raw[:8192]:
        text = _utf16_without_bom(raw)
        if text is None:
            raise InputError(f"{source}: looks binary (NUL bytes), not an HTML page")
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(raw[:4096])
    codec = _declared_codec(declared.group(1)) if declared else None
    if codec is not None:
        try:
            return raw.decode(codec)
        except UnicodeError:
            pass
    return decode_bytes(raw, source=source)


def html_to_text(raw: bytes | str, *, source: str = "<html>") -> str:
    """The text of an HTML page, one line per block element (scripts and styles dropped).

    The page's ``<title>`` comes first, as scrapers keep it; then the blocks of
    :func:`triage.html.read_page` (a table row is one line, its cells joined).

    Raises
    ------
    InputError
        The bytes are binary or not readable as HTML.
    """
    page = read_page(raw, source=source)
    lines = ([page.title] if page.title else []) + [block.text for block in page.blocks]
    return "\n".join(lines) + ("\n" if lines else "")
