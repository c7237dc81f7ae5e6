"""Scoring triage on real text: any folder in the layout of ``shared/benchmarks/``.

Such a folder holds ``pages/<id>.txt`` (one paragraph per line) and ``gold.csv``
(``page,index,label,text``, one row per line). What its labels are decides the
metric:

* **paragraph labels** (``attack``, ``state_response``, ``social_context``,
  ``boilerplate``; e.g. ``muc``): each page is classified as one article, and the
  per-class and macro F1 are counted over every paragraph, as given and again with
  the text lower-cased (what the casing costs, apart from what the domain costs);
* **content / boilerplate** (e.g. ``aeb``, ``wcxb``; with ``ground-truth.json``):
  the boilerplate filter (``classify --drop boilerplate``) is scored with the
  benchmark's article-body metric and on lines (:mod:`triage.evaluation.aeb`), beside keeping
  everything, the ten-word rule and jusText. With ``html=True`` the filter reads
  ``html/<id>.html.gz`` instead of the text (body metric only: HTML blocks are not
  the gold lines).

Both report calibration on the real text: the expected calibration error of the
model's top score (10 equal-width bins) and the accuracy of the paragraphs scored
at least 0.9 (for the filter: of its keep/drop decision from the boilerplate
probability).

:func:`labelled_articles` reads a folder with paragraph labels as labelled
articles, for a learning curve on it (:mod:`triage.evaluation.curve`).
"""

from __future__ import annotations

import csv
import gzip
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from triage.config import LABELS
from triage.errors import InputError
from triage.labelling.files import LabelledArticle
from triage.model import Model, score
from triage.text import Paragraph

BODY_LABELS = frozenset({"content", "boilerplate"})
CONFIDENT = 0.9
"""Score from which a paragraph counts as confidently labelled."""
_FIX = "give a folder in the layout of shared/benchmarks/ (pages/*.txt and gold.csv)"


def kind(path: str | Path) -> str:
    """``"paragraphs"`` or ``"body"``: which metric the folder's gold labels call for."""
    folder = Path(path)
    gold = folder / "gold.csv"
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; {_FIX}")
    if not gold.is_file() or not (folder / "pages").is_dir():
        raise InputError(f"{folder}: no gold.csv or pages/ folder; {_FIX}")
    labels = {row["label"] for row in _gold_rows(gold)}
    if labels <= BODY_LABELS:
        return "body"
    if labels <= set(LABELS):
        return "paragraphs"
    raise InputError(
        f"{gold}: labels {sorted(labels - set(LABELS) - BODY_LABELS)} are neither triage's nor content/boilerplate; {_FIX}"
    )


def _gold_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"page", "index", "label"} <= set(reader.fieldnames):
                raise InputError(f"{path}: header must hold page,index,label(,text); {_FIX}")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: unreadable ({exc}); {_FIX}") from None


def calibration(scores: np.ndarray, correct: np.ndarray) -> dict[str, float]:
    """Expected calibration error of ``scores``, and the accuracy of those >= :data:`CONFIDENT`.

    Parameters
    ----------
    scores
        The probability given to each decision (for a label, the top score).
    correct
        Whether each decision was right.
    """
    from triage.evaluation.evaluate import expected_calibration_error

    scores = np.asarray(scores, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if len(scores) == 0:
        return {"ece": float("nan"), "confident_share": 0.0, "confident_accuracy": float("nan")}
    confident = scores >= CONFIDENT
    return {
        "ece": expected_calibration_error(scores, correct),
        "confident_share": float(confident.mean()),
        "confident_accuracy": float(correct[confident].mean()) if confident.any() else float("nan"),
    }


def read_pages(folder: str | Path) -> dict[str, list[tuple[str, str]]]:
    """Each page's lines (one paragraph each) with their gold labels, checked against ``pages/<id>.txt``.

    Returns
    -------
    dict
        Page id to its ``(label, line)`` pairs in line order, pages sorted by id.

    Raises
    ------
    InputError
        ``gold.csv`` or a page is unreadable, or they number the lines differently.
    """
    folder = Path(folder)
    rows: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
    for row in _gold_rows(folder / "gold.csv"):
        try:
            rows[row["page"]][int(row["index"])] = (row["label"], row.get("text") or "")
        except ValueError:
            raise InputError(f"{folder / 'gold.csv'}: index {row['index']!r} is not a number; {_FIX}") from None
    pages = {}
    for page, by_index in sorted(rows.items()):
        path = folder / "pages" / f"{page}.txt"
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: unreadable ({exc}); {_FIX}") from None
        if lines and lines[-1] == "":
            lines.pop()
        if sorted(by_index) != list(range(len(lines))):
            raise InputError(f"{path}: has {len(lines)} lines but gold.csv numbers them differently; {_FIX}")
        pages[page] = [(by_index[i][0], lines[i]) for i in range(len(lines))]
    return pages


def labelled_articles(path: str | Path) -> list[LabelledArticle]:
    """A folder with paragraph labels (e.g. ``muc``) as labelled articles, one per page, to train on.

    Each line of ``pages/<id>.txt`` is one paragraph (its whitespace folded, as
    :func:`evaluate_paragraphs` reads it) with its gold label; the article is
    named by the page id.

    Raises
    ------
    InputError
        Not a benchmark folder, or its labels are not triage's four.
    """
    folder = Path(path)
    if kind(folder) != "paragraphs":
        raise InputError(
            f"{folder}: its gold labels are content/boilerplate; training needs triage's four labels "
            f"({', '.join(LABELS)}), as in muc"
        )
    articles = []
    for page, lines in read_pages(folder).items():
        paragraphs, start = [], 0
        for index, (_, line) in enumerate(lines):
            paragraphs.append(Paragraph(index, start, start + len(line), " ".join(line.split())))
            start += len(line) + 1
        labels = {index: label for index, (label, _) in enumerate(lines)}
        articles.append(LabelledArticle(page, folder / "gold.csv", folder / "pages" / f"{page}.txt", paragraphs, labels))
    return articles


def _baseline_labels(model: Model, texts: list[str]) -> dict[str, list[str]]:
    """The majority and length-rule baselines, falling back on the model's training labels."""
    from triage.evaluation.baselines import keep_min_words
    from triage.evaluation.evaluate import _majority, _story_label

    trained = list(Counter(model.metadata.get("label_counts") or {}).elements())
    majority, story = _majority(trained), _story_label(trained)
    return {
        "majority": [majority] * len(texts),
        "length_rule": [story if kept else "boilerplate" for kept in keep_min_words(texts)],
    }


def evaluate_paragraphs(model: Model, path: str | Path) -> dict[str, Any]:
    """Per-class and macro F1 of the model on a folder with paragraph labels (e.g. ``muc``)."""
    started = time.perf_counter()
    folder = Path(path)
    pages = read_pages(folder)
    truth = [label for lines in pages.values() for label, _ in lines]
    texts = [text for lines in pages.values() for _, text in lines]
    out: dict[str, Any] = {"benchmark": str(folder), "kind": "paragraphs", "pages": len(pages), "paragraphs": len(truth)}
    for view, change in (("as_is", str), ("lower_cased", str.lower)):
        articles = [
            [Paragraph(i, 0, len(text), " ".join(change(text).split())) for i, (_, text) in enumerate(lines)]
            for lines in pages.values()
        ]
        results = [p for article in model.classify_batch(articles) for p in article]
        predicted = [p.label for p in results]
        figures = score(truth, predicted, labels=list(LABELS), n_articles=len(pages)).as_dict()
        top = np.array([p.score for p in results])
        figures["calibration"] = calibration(top, np.array(predicted) == np.array(truth))
        out[view] = figures
    out["baselines"] = {
        name: score(truth, predicted, labels=list(LABELS), n_articles=len(pages)).as_dict()
        for name, predicted in _baseline_labels(model, texts).items()
    }
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _page_bytes(folder: Path, page_id: str) -> bytes:
    """The bytes of ``html/<id>.html.gz``, decompressed at most to :data:`~triage.text.MAX_INPUT_BYTES`.

    A gzip bomb (a few megabytes that inflate to gigabytes) is refused once
    that much is out, not inflated whole into memory.
    """
    import zlib

    from triage.text import MAX_INPUT_BYTES

    path = folder / "html" / f"{page_id}.html.gz"
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; damaged deflate data, zlib.error
        raise InputError(f"{path}: unreadable ({exc}); reading pages as HTML (`html`) needs html/<id>.html.gz for every page") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(
            f"{path}: decompresses to more than {MAX_INPUT_BYTES // 2**20} MB, more than a page can be; "
            "reading pages as HTML (`html`) needs html/<id>.html.gz for every page"
        )
    return raw


def _html_pages(folder: Path, pages):
    """The benchmark pages as triage reads their HTML: (page with one line per block, blocks)."""
    from triage.evaluation.aeb import Page
    from triage.html import read_page

    out = []
    for page in pages:
        path = folder / "html" / f"{page.id}.html.gz"
        read = read_page(_page_bytes(folder, page.id), source=str(path))
        lines = [block.text for block in read.blocks]
        out.append((Page(id=page.id, lines=lines, content=[False] * len(lines), body=page.body), read))
    return out


def _raw_pages(folder: Path, pages):
    for page in pages:
        yield _page_bytes(folder, page.id)


def _extractors(not_run: list[str]) -> dict[str, Any]:
    """The main-content extractors installed here (the ``compare`` extra), by name.

    Each takes a page's bytes and returns its main text; a missing one is named
    in ``not_run`` instead.
    """
    import logging

    found: dict[str, Any] = {}
    # Both log what they fail on, tracebacks included, to stderr; a page they fail on gets nothing.
    for name in ("trafilatura", "readability"):
        logging.getLogger(name).addHandler(logging.NullHandler())
    try:
        import trafilatura
    except ImportError:
        not_run.append("trafilatura (pip install 'triage[compare]')")
    else:
        def run_trafilatura(raw: bytes) -> str:
            return trafilatura.extract(raw.decode("utf-8", "replace"), include_comments=False) or ""

        found["trafilatura"] = run_trafilatura
    try:
        from readability import Document
        import lxml.html
    except ImportError:
        not_run.append("readability-lxml (pip install 'triage[compare]')")
    else:
        def run_readability(raw: bytes) -> str:
            try:
                summary = Document(raw.decode("utf-8", "replace")).summary(html_partial=True)
                return lxml.html.fromstring(summary).text_content() if summary.strip() else ""
            except Exception:  # the extractor fails on some pages; that page gets nothing
                return ""

        found["readability"] = run_readability
    return found


def evaluate_body(
    model: Model,
    path: str | Path,
    *,
    with_justext: bool = True,
    with_extractors: bool = True,
    threshold: float | None = None,
    html: bool = False,
    bootstrap: int = 1000,
) -> dict[str, Any]:
    """Score the boilerplate filter on a content/boilerplate folder (e.g. ``aeb``, ``wcxb``).

    ``threshold`` is the boilerplate probability from which a line is dropped
    (the model's stored threshold by default). With ``html`` the pages are read
    from ``html/`` and only the body metric is reported.
    """
    from triage.evaluation import aeb
    from triage.evaluation.baselines import keep_all, keep_min_words
    from triage.evaluation.evaluate import _justext_keep

    started = time.perf_counter()
    folder = Path(path)
    pages = aeb.load_benchmark(folder)
    if html:
        threshold = model.html_drop_threshold if threshold is None else threshold
        began = time.perf_counter()
        read = _html_pages(folder, pages)
        pages = [page for page, _ in read]
        boilerplate = []
        for start in range(0, len(read), 64):  # 64 pages per prediction, as classify reads a folder
            for results in model.classify_pages([blocks for _, blocks in read[start : start + 64]]):
                boilerplate.append([(r.scores["boilerplate"], r.label == "boilerplate") for r in results])
        triage_seconds = time.perf_counter() - began
    else:
        threshold = model.drop_threshold if threshold is None else threshold
        boilerplate = [model.line_scores(page.lines) for page in pages]
    filters: dict[str, list[list[bool]]] = {
        "triage": [[not (p >= threshold and top) for p, top in b] for b in boilerplate],
        "keep_all": [keep_all(page.lines) for page in pages],
        "min_10_words": [keep_min_words(page.lines) for page in pages],
    }
    if with_justext:
        filters["justext"] = [_justext_keep(page.lines) for page in pages]
    out: dict[str, Any] = {
        "benchmark": str(folder),
        "kind": "body",
        "input": "html" if html else "text",
        "pages": len(pages),
        "lines": sum(len(p.lines) for p in pages),
        "threshold": threshold,
        "filters": {},
    }
    for name, kept in filters.items():
        figures = {"body": aeb.body_scores(pages, kept, bootstrap=bootstrap)}
        if not html:
            figures["line"] = aeb.line_scores(pages, kept)
        out["filters"][name] = figures
    if html:
        out["html_stage"] = model.html_stage is not None
        out["filters"]["triage"]["pages_per_second"] = round(len(pages) / max(triage_seconds, 1e-9), 1)
        out["not_run"] = []
        if with_extractors:
            for name, extract in _extractors(out["not_run"]).items():
                began = time.perf_counter()
                texts = [extract(raw) for raw in _raw_pages(folder, pages)]
                seconds = time.perf_counter() - began
                as_lines = [aeb.Page(p.id, t.split("\n"), [], p.body) for p, t in zip(pages, texts)]
                body = aeb.body_scores(as_lines, [[True] * len(x.lines) for x in as_lines], bootstrap=bootstrap)
                out["filters"][name] = {"body": body, "pages_per_second": round(len(pages) / max(seconds, 1e-9), 1)}
    if not html:
        p = np.array([score for b in boilerplate for score, _ in b])
        gold_boilerplate = np.array([not c for page in pages for c in page.content])
        decided = np.maximum(p, 1 - p)
        out["calibration"] = calibration(decided, (p >= 0.5) == gold_boilerplate)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def evaluate(model: Model, path: str | Path, **options) -> dict[str, Any]:
    """Score the model on any benchmark folder, by the metric its labels call for."""
    if kind(path) == "paragraphs":
        if options.get("html"):
            raise InputError(f"{path}: has paragraph labels and no HTML; leave out html")
        return evaluate_paragraphs(model, path)
    return evaluate_body(model, path, **options)
