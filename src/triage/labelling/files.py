"""Loading, validating and writing the hand-labelled data.

A labelled article is a CSV file ``<name>.csv`` with the header ``index,label,text``:
one row per labelled paragraph, ``index`` the paragraph's number in the article as
:func:`triage.text.split_paragraphs` yields it, ``text`` that paragraph's text. Files
written by ``triage label`` add three columns, ``annotator,time,note``: who gave the
answer, when (UTC, ISO 8601), and a note; older files without them load the same. A
row labelled :data:`UNSURE` is an answer the annotator was not sure of: it is kept,
listed by ``triage labels check`` and asked again with ``--order unsure``, but it is
no label, so training never sees it. The article itself, ``<name>.txt``, lies beside
the CSV (or, for older folders, in the ``seeds/`` folder next to the labels folder).
Keeping the text in the CSV makes a diff readable and lets the loader notice when the
article and its labels drift apart.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from triage._atomic import atomic_write, write_error
from triage.config import LABELS
from triage.errors import InputError, LabelError
from triage.text import Paragraph, normalise_space, read_text, split_paragraphs

HEADER = ["index", "label", "text"]
EXTRA_COLUMNS = ["annotator", "time", "note"]
"""Optional columns after :data:`HEADER`: who answered, when, and a note."""
UNSURE = "unsure"
"""The label of an answer its annotator was not sure of (never trained on)."""


@dataclass(frozen=True)
class Answer:
    """Who gave a paragraph's answer and when; the note an annotator left."""

    annotator: str = ""
    time: str = ""
    note: str = ""


@dataclass
class LabelledArticle:
    """An article's paragraphs and the labels given to (some of) them.

    ``labels`` holds the real labels only; ``unsure`` the paragraphs marked
    unsure (index to note), and ``answers`` who answered each row and when.
    """

    name: str
    label_path: Path
    article_path: Path
    paragraphs: list[Paragraph]
    labels: dict[int, str] = field(default_factory=dict)
    unsure: dict[int, str] = field(default_factory=dict)
    answers: dict[int, Answer] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.paragraphs]


def shown_path(path: Path, labels_dir: Path) -> str:
    """Name a label file the way the user knows it: ``labels/extra/x.csv``."""
    try:
        return str(Path(labels_dir.name) / path.relative_to(labels_dir))
    except ValueError:
        return str(path)


def find_article(label_path: Path, labels_dir: Path) -> Path | None:
    """Return the article a label file belongs to, or ``None`` if it is nowhere.

    The article lies beside its label file, so that a copied labels folder
    keeps working; label folders from before that rule may keep it in
    ``seeds/`` next to the labels folder.
    """
    name = label_path.stem + ".txt"
    for folder in (label_path.parent, labels_dir.parent / "seeds"):
        if (folder / name).is_file():
            return folder / name
    return None


def check_label_file(label_path: Path, labels_dir: Path) -> tuple[LabelledArticle | None, list[str]]:
    """Read one label file and list everything wrong with it.

    Returns
    -------
    tuple
        The article (``None`` if it could not be read at all) and the problems,
        each a line ``labels/FILE line N: ...``.
    """
    shown = shown_path(label_path, labels_dir)
    article_path = find_article(label_path, labels_dir)
    if article_path is None:
        return None, [
            f"{shown}: no article {label_path.stem}.txt beside it or in "
            f"{labels_dir.parent.name or '.'}/seeds/; restore the article or remove the label file"
        ]
    try:
        paragraphs = split_paragraphs(read_text(article_path))
    except InputError as exc:
        return None, [f"{shown}: its article cannot be read: {exc}"]
    try:
        raw = label_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{shown}: cannot be read as UTF-8 ({exc}); fix or restore the file"]
    article = LabelledArticle(label_path.stem, label_path, article_path, paragraphs)
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader, None)
    extra = header[3:] if header is not None else []
    if (
        header is None
        or header[:3] != HEADER
        or len(set(extra)) != len(extra)
        or not set(extra) <= set(EXTRA_COLUMNS)
    ):
        return None, [
            f"{shown} line 1: header is {header!r}; expected {','.join(HEADER)}, "
            f"optionally followed by {','.join(EXTRA_COLUMNS)}"
        ]
    problems = []
    expected = ", ".join(sorted(LABELS)) + f" (or {UNSURE})"
    width = len(header)
    for row in reader:
        where = f"{shown} line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            problems.append(f"{where}: has {len(row)} fields; expected {width} ({','.join(header)})")
            continue
        index_cell, label, text = row[:3]
        more = dict(zip(extra, row[3:]))
        try:
            index = int(index_cell)
        except ValueError:
            problems.append(f"{where}: index {index_cell!r} is not a whole number")
            continue
        if label not in LABELS and label != UNSURE:
            problems.append(f"{where}: unknown label {label!r}; expected one of {expected}")
            continue
        if not text.strip():
            problems.append(f"{where}: text is empty; copy the paragraph's text into it")
            continue
        if index in article.labels or index in article.unsure:
            problems.append(f"{where}: duplicate index {index}; keep one row per paragraph")
            continue
        if not 0 <= index < len(paragraphs):
            problems.append(
                f"{where}: index {index} is out of range; "
                f"{article_path.name} has {len(paragraphs)} paragraphs"
            )
            continue
        if normalise_space(text) != paragraphs[index].text:
            problems.append(
                f"{where}: text does not match paragraph {index} of {article_path.name} "
                f"({paragraphs[index].text[:40]!r}...); the article changed, relabel it"
            )
            continue
        if label == UNSURE:
            article.unsure[index] = more.get("note", "")
        else:
            article.labels[index] = label
        answer = Answer(more.get("annotator", ""), more.get("time", ""), more.get("note", ""))
        if answer != Answer():
            article.answers[index] = answer
    return article, problems


def label_files(labels_dir: str | Path) -> list[Path]:
    """All label files under a folder, sorted, sub-folders included."""
    labels_dir = Path(labels_dir)
    if not labels_dir.is_dir():
        raise LabelError(f"{labels_dir}: no such labels folder; give another `labels_dir`")
    files = sorted(labels_dir.rglob("*.csv"))
    if not files:
        raise LabelError(f"{labels_dir}: has no label files (*.csv); label some articles first")
    return files


def load_labels(labels_dir: str | Path, *, require_labels: bool = True) -> list[LabelledArticle]:
    """Load and validate every label file under ``labels_dir``.

    Raises
    ------
    LabelError
        On the first problem found (the message counts the others), or when the
        folder holds no labelled paragraph.
    """
    labels_dir = Path(labels_dir)
    articles, problems = [], []
    for path in label_files(labels_dir):
        article, found = check_label_file(path, labels_dir)
        problems.extend(found)
        if article is not None:
            articles.append(article)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise LabelError(problems[0] + more)
    if require_labels and not any(a.labels for a in articles):
        raise LabelError(f"{labels_dir}: no labelled paragraphs; label some articles first")
    return articles


def label_writer(
    label_path: str | Path,
    paragraphs: list[Paragraph],
    labels: dict[int, str],
    *,
    unsure: dict[int, str] | None = None,
    answers: dict[int, Answer] | None = None,
):
    """A function that writes one article's label file to a handle, rows in paragraph order.

    The columns ``annotator,time,note`` are written when any row has one of
    them or is marked unsure; a file without them keeps the three columns.

    Raises
    ------
    LabelError
        A label is not one of :data:`triage.config.LABELS`, or a paragraph is
        both labelled and marked unsure.
    """
    unsure = unsure or {}
    answers = answers or {}
    unknown = sorted(set(labels.values()) - set(LABELS))
    if unknown:
        raise LabelError(f"{label_path}: unknown labels {unknown}; expected one of {', '.join(LABELS)}")
    both = sorted(set(labels) & set(unsure))
    if both:
        raise LabelError(f"{label_path}: paragraphs {both} are both labelled and unsure; keep one")
    rows = {index: labels[index] for index in labels} | {index: UNSURE for index in unsure}
    full = bool(unsure) or any(answers.get(index, Answer()) != Answer() for index in rows)

    def write(handle):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER + EXTRA_COLUMNS if full else HEADER)
        for index in sorted(rows):
            row = [index, rows[index], paragraphs[index].text]
            if full:
                answer = answers.get(index, Answer())
                note = unsure.get(index, answer.note)
                row += [answer.annotator, answer.time, note]
            writer.writerow(row)

    return write


def write_labels(label_path: str | Path, paragraphs: list[Paragraph], labels: dict[int, str]) -> None:
    """Write one article's labels atomically, rows in paragraph order.

    Raises
    ------
    LabelError
        A label is unknown.
    OutputError
        The file cannot be written (a read-only or full labels folder); the
        old file is left as it was.
    """
    label_path = Path(label_path)
    write = label_writer(label_path, paragraphs, labels)
    try:
        atomic_write(label_path, write)
    except OSError as exc:
        raise write_error(label_path, exc, fix="make the labels folder writable or free space; the old file is kept") from None


def labels_digest(articles: list[LabelledArticle]) -> str:
    """A SHA-256 over every labelled paragraph, to tell which data a model saw."""
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.name):
        for index in sorted(article.labels):
            record = (article.name, index, article.labels[index], article.paragraphs[index].text)
            digest.update(repr(record).encode("utf-8"))
    return digest.hexdigest()
