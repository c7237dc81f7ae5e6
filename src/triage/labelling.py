"""The labelling session behind ``triage label``: what to ask next, and saving answers.

Nothing here reads keys or draws on a terminal; :mod:`triage.label_ui` does
that. A :class:`Session` holds the articles being labelled, the order in which
their unlabelled paragraphs are asked, and the answers given so far. Every
answer is written to disk at once (atomically), so quitting, a crash or a
closed terminal loses at most the paragraph on screen, and a new session picks
up the paragraphs that still have no label.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from triage._atomic import atomic_write_all, write_error
from triage.config import LABELS
from triage.errors import InputError, LabelError
from triage.labels import check_label_file, find_article, label_writer
from triage.text import Paragraph, read_text, split_paragraphs

LOCK_NAME = ".triage-label.lock"


@dataclass
class Article:
    """One article in a session: its paragraphs, where its labels live, its labels."""

    name: str
    source: Path
    text: str
    paragraphs: list[Paragraph]
    label_path: Path
    text_path: Path
    labels: dict[int, str] = field(default_factory=dict)

    def save(self) -> None:
        """Write the article's text (first time only) and its labels, both or neither.

        Raises
        ------
        OutputError
            The labels folder cannot be written (read-only, full); its files
            are left as they were, so only the answer being saved is lost.
        """
        writes = []
        if not self.text_path.exists():
            writes.append((self.text_path, lambda handle: handle.write(self.text)))
        if self.labels or self.label_path.exists():
            writes.append((self.label_path, label_writer(self.label_path, self.paragraphs, self.labels)))
        try:
            atomic_write_all(writes)
        except OSError as exc:
            raise write_error(
                self.label_path, exc,
                fix="make the labels folder writable or free space; this answer is not saved, the earlier ones are",
            ) from None


def open_article(path: Path, labels_dir: Path) -> Article:
    """Prepare an article file for labelling into ``labels_dir``.

    The article keeps its file name. When ``labels_dir`` already holds labels
    under that name for the same text, they are loaded (the session resumes);
    for a different text the name gets a short hash of the text, so two
    articles called ``report.txt`` do not overwrite each other's labels.

    Raises
    ------
    InputError
        The file cannot be read.
    LabelError
        Its existing label file is broken (fix it first: ``triage labels check``).
    """
    text = read_text(path)
    paragraphs = split_paragraphs(text)
    texts = [p.text for p in paragraphs]
    candidates = [path.stem, f"{path.stem}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"]
    for name in candidates:
        label_path = labels_dir / f"{name}.csv"
        existing = find_article(label_path, labels_dir)
        if existing is None:
            return Article(name, path, text, paragraphs, label_path, labels_dir / f"{name}.txt")
        existing_paragraphs = split_paragraphs(read_text(existing))
        if [p.text for p in existing_paragraphs] != texts:
            continue
        labels: dict[int, str] = {}
        if label_path.exists():
            article, problems = check_label_file(label_path, labels_dir)
            if problems or article is None:
                raise LabelError(f"{problems[0]}; fix it first (see 'triage labels check')")
            labels = dict(article.labels)
        return Article(
            name, path, read_text(existing), existing_paragraphs, label_path, existing, labels
        )
    raise LabelError(
        f"{path}: {labels_dir} already holds different articles named {candidates[0]} and "
        f"{candidates[1]}; rename the file and try again"
    )


def article_paths(paths: list[str]) -> list[Path]:
    """Expand the command's paths: folders to their ``*.txt`` files, sorted."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(path.glob("*.txt"))
            if not files:
                raise InputError(f"{given}: folder has no .txt files; give article files or another folder")
            out.extend(files)
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(f"{given}: no such file or folder; give article files or a folder of them")
    return out


class LabelsLock:
    """An exclusive lock on a labels folder, so two sessions cannot interleave writes.

    The lock is an OS file lock (released by the OS if the process dies), on
    ``.triage-label.lock`` in the folder; the file records the holder's pid for
    the message the second session sees.
    """

    def __init__(self, labels_dir: Path):
        self.path = labels_dir / LOCK_NAME
        self.handle = None

    def __enter__(self) -> LabelsLock:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise write_error(
                self.path.parent, exc, fix="make it writable or give another --labels folder; nothing was labelled"
            ) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LabelError(
                f"{self.path.parent}: another 'triage label' (pid {holder}) is labelling here; "
                "finish or quit it first, or use another --labels folder"
            ) from None
        try:
            os.ftruncate(handle.fileno(), 0)
            os.pwrite(handle.fileno(), str(os.getpid()).encode(), 0)
        except OSError:  # a full disk: the lock holds all the same, only the pid is not shown
            pass
        self.handle = handle
        return self

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


@dataclass(frozen=True)
class Suggestion:
    label: str
    score: float


@dataclass
class Session:
    """The queue of unlabelled paragraphs and the answers given in this session.

    Parameters
    ----------
    articles
        The articles to label.
    order
        ``"uncertainty"``: the paragraphs the model is least sure of first,
        across all articles; ``"document"``: article by article, in reading order.
    """

    articles: list[Article]
    order: str = "uncertainty"
    suggestions: dict[tuple[int, int], Suggestion] = field(default_factory=dict)
    answered: Counter = field(default_factory=Counter)
    history: list[tuple[int, int, str | None]] = field(default_factory=list)
    skipped: set[tuple[int, int]] = field(default_factory=set)
    current: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.order not in ("uncertainty", "document"):
            raise ValueError(f"unknown order {self.order!r}")
        self.pending = [
            (a, p.index)
            for a, article in enumerate(self.articles)
            for p in article.paragraphs
            if p.index not in article.labels
        ]
        self._sort()
        self._advance()

    # -- the model's part -------------------------------------------------

    def suggest_with(self, model) -> None:
        """Score every paragraph with ``model`` and re-order what is left to ask.

        Call it between questions: the next paragraph shown may change.
        """
        suggestions = {}
        for a, article in enumerate(self.articles):
            for p in model.classify_paragraphs(article.paragraphs):
                suggestions[(a, p.index)] = Suggestion(p.label, p.score)
        self.suggestions = suggestions
        if self.current is not None:
            self.pending.append(self.current)
        self._sort()
        self._advance()

    def _sort(self) -> None:
        if self.order == "uncertainty" and self.suggestions:
            self.pending.sort(key=lambda item: (self.suggestions[item].score, item))
        else:
            self.pending.sort()

    def _advance(self) -> None:
        self.current = self.pending.pop(0) if self.pending else None

    # -- what the user does -----------------------------------------------

    @property
    def remaining(self) -> int:
        """Paragraphs still to ask in this session, the one on screen included."""
        return len(self.pending) + (self.current is not None)

    def paragraph(self, item: tuple[int, int]) -> Paragraph:
        return self.articles[item[0]].paragraphs[item[1]]

    def answer(self, label: str) -> None:
        """Label the paragraph on screen and save its article at once."""
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}")
        if self.current is None:
            return
        a, index = self.current
        article = self.articles[a]
        previous = article.labels.get(index)
        article.labels[index] = label
        try:
            article.save()
        except BaseException:
            if previous is None:
                article.labels.pop(index, None)
            else:
                article.labels[index] = previous
            raise
        self.history.append((a, index, previous))
        self.answered[label] += 1
        self._advance()

    def accept(self) -> bool:
        """Take the model's suggestion; False when there is none."""
        if self.current is None or self.current not in self.suggestions:
            return False
        self.answer(self.suggestions[self.current].label)
        return True

    def skip(self) -> None:
        """Leave the paragraph on screen unlabelled (asked again in a later session)."""
        if self.current is not None:
            self.skipped.add(self.current)
            self._advance()

    def undo(self) -> bool:
        """Take back the last answer of this session and show that paragraph again."""
        if not self.history:
            return False
        a, index, previous = self.history.pop()
        article = self.articles[a]
        label = article.labels[index]
        if previous is None:
            del article.labels[index]
        else:
            article.labels[index] = previous
        try:
            article.save()
        except BaseException:
            article.labels[index] = label
            self.history.append((a, index, previous))
            raise
        self.answered[label] -= 1
        if self.current is not None:
            self.pending.insert(0, self.current)
        self.current = (a, index)
        return True

    def summary(self, labels_total: int | None = None) -> str:
        """One line: what this session labelled, per class, and the total."""
        done = sum(self.answered.values())
        per_class = ", ".join(f"{label} {self.answered[label]}" for label in LABELS if self.answered[label])
        line = f"Labelled {done} paragraph{'s' * (done != 1)} this session"
        if per_class:
            line += f" ({per_class})"
        if labels_total is not None:
            line += f"; {labels_total} labelled in all"
        return line
