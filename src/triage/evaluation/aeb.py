"""Scoring a plain-text boilerplate filter on the AEB benchmark.

The benchmark (``shared/benchmarks/aeb``, see its README) holds 181 scraped web
pages as plain text, one paragraph per line, a gold ``content``/``boilerplate``
label for every line and the gold article body of every page. A filter decides,
for each line of a page, whether to keep it; two metrics score the decisions:

* :func:`line_scores`: precision, recall and F1 of the kept lines against the
  gold ``content`` lines, pooled over all lines (micro) and per page (macro);
* :func:`body_scores`: the benchmark's own article-body metric. The kept lines,
  joined with newlines, are compared with the gold ``articleBody`` on multisets
  of 4-token shingles, each page weighing the same.

The reference filters it is compared with live in :mod:`triage.evaluation.baselines`.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from triage.errors import InputError
from triage.text import read_error

GOLD_HEADER = ["page", "index", "label", "text"]
_LABELS = ("content", "boilerplate")
_FIX = "pass the folder from shared/benchmarks/aeb"
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SHINGLE = 4  # tokens per shingle in the benchmark's article-body metric


@dataclass(frozen=True)
class Page:
    """One page of the benchmark.

    ``lines[i]`` is line *i* of ``pages/<id>.txt`` and ``content[i]`` its gold
    label (``True`` for ``content``); ``body`` is the page's gold ``articleBody``.
    """

    id: str
    lines: list[str]
    content: list[bool]
    body: str


def _read_gold(path: Path, folder: Path) -> dict[str, dict[int, tuple[bool, str]]]:
    """Read ``gold.csv`` into ``{page: {index: (is_content, text)}}``."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise read_error(path, exc, fix=_FIX) from None
    rows: dict[str, dict[int, tuple[bool, str]]] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header != GOLD_HEADER:
                raise InputError(
                    f"{path}: header is {header!r}, expected {','.join(GOLD_HEADER)}; {_FIX}"
                )
            for row in reader:
                where = f"{path} line {reader.line_num}"
                if len(row) != len(GOLD_HEADER):
                    raise InputError(
                        f"{where}: {len(row)} fields, expected {len(GOLD_HEADER)}; {_FIX}"
                    )
                page, index_text, label, text = row
                if label not in _LABELS:
                    raise InputError(
                        f"{where}: unknown label {label!r}, expected content or boilerplate; {_FIX}"
                    )
                try:
                    index = int(index_text)
                except ValueError:
                    raise InputError(
                        f"{where}: index {index_text!r} is not a whole number; {_FIX}"
                    ) from None
                lines = rows.setdefault(page, {})
                if index in lines:
                    raise InputError(f"{where}: page {page} has index {index} twice; {_FIX}")
                lines[index] = (label == "content", text)
        except UnicodeDecodeError:
            raise InputError(f"{path}: is not UTF-8; {_FIX}") from None
        except csv.Error as exc:
            raise InputError(f"{path} line {reader.line_num}: bad CSV ({exc}); {_FIX}") from None
    if not rows:
        raise InputError(f"{folder}: gold.csv has no rows; {_FIX}")
    return rows


def _read_bodies(path: Path) -> dict[str, str]:
    """Read ``ground-truth.json`` into ``{page: articleBody}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise read_error(path, exc, fix=_FIX) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path}: is not valid UTF-8 JSON; {_FIX}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object mapping page ids to entries; {_FIX}")
    bodies = {}
    for page, entry in data.items():
        body = entry.get("articleBody") if isinstance(entry, dict) else None
        if not isinstance(body, str):
            raise InputError(f"{path}: page {page} has no articleBody string; {_FIX}")
        bodies[page] = body
    return bodies


def _read_page_lines(path: Path) -> list[str]:
    """The lines of a page file: split on ``\\n`` only, every line kept.

    The final ``\\n`` ends the last line; it does not start an empty one.
    Decoded as plain UTF-8 so that a leading U+FEFF stays part of the first line.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file, but gold.csv lists the page; {_FIX}") from None
    except OSError as exc:
        raise read_error(path, exc, fix=_FIX) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8; {_FIX}") from None
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def load_benchmark(path: str | Path) -> list[Page]:
    """Load the AEB benchmark folder.

    Parameters
    ----------
    path
        The folder holding ``gold.csv``, ``ground-truth.json`` and ``pages/``.

    Returns
    -------
    list[Page]
        One page per page id in ``gold.csv``, sorted by id.

    Raises
    ------
    InputError
        The folder or one of its files is missing, unreadable or malformed, or a
        page file and ``gold.csv`` disagree on a line.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; {_FIX}")
    for name in ("gold.csv", "ground-truth.json", "pages"):
        if not (folder / name).exists():
            raise InputError(f"{folder}: not the AEB benchmark folder (no {name}); {_FIX}")
    gold = _read_gold(folder / "gold.csv", folder)
    bodies = _read_bodies(folder / "ground-truth.json")
    missing = sorted(set(gold) - set(bodies))
    if missing:
        raise InputError(
            f"{folder}: {len(missing)} page(s) of gold.csv are not in ground-truth.json "
            f"(first {missing[0]}); {_FIX}"
        )
    unlabelled = sorted(set(bodies) - set(gold))
    if unlabelled:
        raise InputError(
            f"{folder}: {len(unlabelled)} page(s) of ground-truth.json have no rows in "
            f"gold.csv (first {unlabelled[0]}); {_FIX}"
        )
    pages = []
    for page_id in sorted(gold):
        page_path = folder / "pages" / f"{page_id}.txt"
        lines = _read_page_lines(page_path)
        rows = gold[page_id]
        if sorted(rows) != list(range(len(lines))):
            raise InputError(
                f"{page_path}: has {len(lines)} lines but gold.csv has {len(rows)} rows "
                f"numbered {min(rows)} to {max(rows)}; {_FIX}"
            )
        for index, line in enumerate(lines):
            if rows[index][1] != line:
                raise InputError(
                    f"{page_path} line {index + 1}: differs from gold.csv index {index}; {_FIX}"
                )
        content = [rows[index][0] for index in range(len(lines))]
        pages.append(Page(id=page_id, lines=lines, content=content, body=bodies[page_id]))
    return pages


def _check_kept(pages: Sequence[Page], kept: Sequence[Sequence[bool]]) -> None:
    if not pages:
        raise InputError("pages: none given; load them with load_benchmark")
    if len(kept) != len(pages):
        raise InputError(
            f"kept: {len(kept)} lists for {len(pages)} pages; give one list of booleans per page"
        )
    for page, decisions in zip(pages, kept):
        if len(decisions) != len(page.lines):
            raise InputError(
                f"kept for page {page.id}: {len(decisions)} decisions for {len(page.lines)} "
                f"lines; give one boolean per line"
            )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


def line_scores(pages: Sequence[Page], kept: Sequence[Sequence[bool]]) -> dict:
    """Score kept lines against the gold ``content`` lines.

    Parameters
    ----------
    pages
        The benchmark pages, as from :func:`load_benchmark`.
    kept
        For each page, one boolean per line: ``True`` if the filter keeps it.

    Returns
    -------
    dict
        ``precision``, ``recall`` and ``f1`` of the ``content`` class, pooled
        over the lines of all pages (micro); ``macro_f1``, the mean over pages of
        each page's F1; ``kept_lines``, how many lines were kept. A page's F1 is
        ``2 TP / (2 TP + FP + FN)``: 0 when it keeps nothing and has content, 1
        when it keeps nothing and has none. A ratio with a zero denominator is 0.

    Raises
    ------
    InputError
        No pages, or ``kept`` does not have one boolean per line of each page.
    """
    _check_kept(pages, kept)
    total_tp = total_fp = total_fn = 0
    page_f1 = []
    for page, decisions in zip(pages, kept):
        tp = fp = fn = 0
        for keep, gold in zip(decisions, page.content):
            if keep and gold:
                tp += 1
            elif keep:
                fp += 1
            elif gold:
                fn += 1
        denominator = 2 * tp + fp + fn
        page_f1.append(2 * tp / denominator if denominator else 1.0)
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
    precision = _ratio(total_tp, total_tp + total_fp)
    recall = _ratio(total_tp, total_tp + total_fn)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "macro_f1": sum(page_f1) / len(page_f1),
        "kept_lines": total_tp + total_fp,
    }


def _shingles(tokens: list[str], size: int) -> Counter:
    """The multiset of overlapping ``size``-token shingles of a token list.

    Fewer than ``size`` tokens make one short shingle; no tokens make none.
    """
    if len(tokens) < size:
        return Counter([tuple(tokens)] if tokens else [])
    return Counter(zip(*(tokens[start:] for start in range(size))))


def _fractions(gold: list[str], predicted: list[str], size: int) -> tuple[float, float, float]:
    gold_counts = _shingles(gold, size)
    predicted_counts = _shingles(predicted, size)
    tp = sum((gold_counts & predicted_counts).values())
    # On multisets, what is not matched is the surplus: |P - G| = |P| - |P & G|.
    fp = sum(predicted_counts.values()) - tp
    fn = sum(gold_counts.values()) - tp
    total = tp + fp + fn
    if not total:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def shingle_fractions(gold: str, predicted: str, *, size: int = _SHINGLE) -> tuple[float, float, float]:
    """TP, FP and FN of one page's shingles, scaled to sum to 1.

    Parameters
    ----------
    gold
        The gold article body.
    predicted
        The text the filter kept.
    size
        Tokens per shingle; 1 gives the bag-of-words variant.

    Returns
    -------
    tuple[float, float, float]
        ``(tp, fp, fn)`` counted on the two multisets of shingles of ``\\w+``
        tokens (case kept), divided by their sum; ``(0, 0, 0)`` when neither
        text has a token.
    """
    return _fractions(_TOKEN.findall(gold), _TOKEN.findall(predicted), size)


def _mean_over(values: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Mean of ``values`` over the entries where ``counted`` is 1, along the last axis; 0 if none."""
    numerator = (values * counted).sum(axis=-1)
    denominator = counted.sum(axis=-1)
    return np.divide(
        numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0
    )


def _body_metrics(fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from per-page ``(tp, fp, fn)`` in the last axis.

    ``fractions`` has shape ``(..., pages, 3)``; the results have shape ``(...)``.
    """
    tp, fp, fn = fractions[..., 0], fractions[..., 1], fractions[..., 2]
    predicted, gold = tp + fp, tp + fn
    page_precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    page_recall = np.divide(tp, gold, out=np.zeros_like(tp), where=gold > 0)
    precision = _mean_over(page_precision, (predicted > 0).astype(float))
    recall = _mean_over(page_recall, (gold > 0).astype(float))
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    return precision, recall, f1


def body_scores(
    pages: Sequence[Page],
    kept: Sequence[Sequence[bool]],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict:
    """Score the kept text against the gold article bodies (the benchmark's metric).

    Each page's kept lines are joined with ``\\n`` and compared with its
    ``articleBody``. Both are split into ``\\w+`` tokens, case kept, and turned
    into multisets of overlapping 4-token shingles; TP, FP and FN are counted on
    the multisets and scaled per page to sum to 1. Precision is the mean over the
    pages whose kept text has a token, recall the mean over the pages whose gold
    body has one, and F1 the harmonic mean of the two means.

    Parameters
    ----------
    pages
        The benchmark pages, as from :func:`load_benchmark`.
    kept
        For each page, one boolean per line: ``True`` if the filter keeps it.
    bootstrap
        How many resamples of the pages (with replacement) estimate the
        standard deviations. Below 2 there is no estimate and they are NaN.
    seed
        Seed of the resampling (``numpy.random.default_rng``).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``; ``precision_std``, ``recall_std``,
        ``f1_std`` (sample standard deviation over the resamples); ``bow_f1``,
        the F1 with single tokens in place of 4-token shingles. A mean over no
        pages, and an F1 of two zeros, is 0.

    Raises
    ------
    InputError
        No pages, ``kept`` does not have one boolean per line of each page, or
        ``bootstrap`` is negative.
    """
    _check_kept(pages, kept)
    if bootstrap < 0:
        raise InputError(f"bootstrap: {bootstrap} resamples; give 0 or more")
    texts = [
        "\n".join(line for line, keep in zip(page.lines, decisions) if keep)
        for page, decisions in zip(pages, kept)
    ]
    tokens = [(_TOKEN.findall(p.body), _TOKEN.findall(t)) for p, t in zip(pages, texts)]
    shingles = np.array([_fractions(gold, kept_text, _SHINGLE) for gold, kept_text in tokens])
    words = np.array([_fractions(gold, kept_text, 1) for gold, kept_text in tokens])
    precision, recall, f1 = _body_metrics(shingles)
    if bootstrap >= 2:
        rng = np.random.default_rng(seed)
        resamples = rng.integers(0, len(pages), size=(bootstrap, len(pages)))
        spread = [float(np.std(m, ddof=1)) for m in _body_metrics(shingles[resamples])]
    else:
        spread = [float("nan")] * 3
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "precision_std": spread[0],
        "recall_std": spread[1],
        "f1_std": spread[2],
        "bow_f1": float(_body_metrics(words)[2]),
    }
