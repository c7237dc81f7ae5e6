"""The labelling session behind ``triage label``: what to ask next, and saving answers.

Nothing here reads keys or draws on a terminal; :mod:`triage.cli.terminal` does
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
from datetime import datetime, timezone
from pathlib import Path

from triage._atomic import atomic_write_all, write_error
from triage.config import LABELS
from triage.errors import InputError, LabelError
from triage.labelling.files import UNSURE, Answer, LabelledArticle, check_label_file, find_article, label_writer
from triage.text import Paragraph, read_text, split_paragraphs

LOCK_NAME = ".triage-label.lock"


@dataclass
class Article(LabelledArticle):
    """A labelled article in a session, with the text it was read from.

    ``article_path`` is where the text lives in the labels folder; a new
    article's text is written there with its first saved label.
    """

    text: str = field(default="", kw_only=True)

    @classmethod
    def from_labelled(cls, article: LabelledArticle) -> Article:
        """An article already in a labels folder, labelled in place (its file and sub-folder kept)."""
        return cls(
            article.name, article.label_path, article.article_path, article.paragraphs,
            dict(article.labels), dict(article.unsure), dict(article.answers),
            text=read_text(article.article_path),
        )

    def save(self) -> None:
        """Write the article's text (first time only) and its labels, both or neither.

        Raises
        ------
        OutputError
            The labels folder cannot be written (read-only, full); its files
            are left as they were, so only the answer being saved is lost.
        """
        writes = []
        if not self.article_path.exists():
            writes.append((self.article_path, lambda handle: handle.write(self.text)))
        if self.labels or self.unsure or self.label_path.exists():
            write = label_writer(
                self.label_path, self.paragraphs, self.labels, unsure=self.unsure, answers=self.answers
            )
            writes.append((self.label_path, write))
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
            return Article(name, label_path, labels_dir / f"{name}.txt", paragraphs, text=text)
        existing_paragraphs = split_paragraphs(read_text(existing))
        if [p.text for p in existing_paragraphs] != texts:
            continue
        if label_path.exists():
            article, problems = check_label_file(label_path, labels_dir)
            if problems or article is None:
                raise LabelError(f"{problems[0]}; fix it first (see 'triage labels check')")
            return Article.from_labelled(article)
        return Article(name, label_path, existing, existing_paragraphs, text=read_text(existing))
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


def session_articles(labels_dir: Path) -> list[Article]:
    """Every article of a labels folder, to label in place (``--order unsure`` or ``review``).

    Raises
    ------
    LabelError
        The folder holds no label files, or one is broken.
    """
    from triage.labelling.files import load_labels

    return [Article.from_labelled(article) for article in load_labels(labels_dir, require_labels=False)]


@dataclass(frozen=True)
class Adjudication:
    """What ``triage label --adjudicate A B --labels OUT`` asks: the disagreements, in OUT's articles."""

    articles: list[Article]
    queue: list[tuple[int, int]]
    answers: dict[tuple[int, int], tuple[str, str]]
    """Each queued paragraph's label in folder A and in folder B."""
    agreed: int
    """Labels both folders give, copied into OUT by :func:`adjudication`."""


def adjudication(folder_a: Path, folder_b: Path, out_dir: Path) -> Adjudication:
    """Prepare the adjudication of two labels folders into ``out_dir``.

    Every article both folders label, with the same text, gets a label file in
    ``out_dir`` (its text beside it). The labels both give are written there
    at once (annotator ``agreed``, both folders' names in the note); the
    paragraphs they label differently and that ``out_dir`` has no answer for
    are queued, in reading order, for the adjudicator to decide. Run it again
    and it resumes: the decided ones are not asked again.

    Raises
    ------
    LabelError
        As :func:`triage.labelling.agreement.compare_labels`, or ``out_dir`` holds
        another text under an article's name.
    OutputError
        ``out_dir`` cannot be written.
    """
    from triage.labelling.agreement import comparable_articles

    articles, queue, answers, agreed = [], [], {}, 0
    note = f"{folder_a.name} and {folder_b.name} agree"
    for article_a, article_b in comparable_articles(folder_a, folder_b):
        article = open_article(article_a.article_path, out_dir)
        if article.name != article_a.name:
            raise LabelError(
                f"{out_dir}: already holds another article named {article_a.name}; "
                "give an empty `labels_dir` folder or the one of an earlier adjudication"
            )
        position = len(articles)
        changed = False
        for index, label in sorted(article_a.labels.items()):
            other = article_b.labels.get(index)
            if other is None or index in article.labels or index in article.unsure:
                continue
            if other == label:
                article.labels[index] = label
                article.answers[index] = Answer("agreed", now(), note)
                agreed += 1
                changed = True
            else:
                queue.append((position, index))
                answers[(position, index)] = (label, other)
        if changed:
            article.save()
        articles.append(article)
    return Adjudication(articles, queue, answers, agreed)


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
                self.path.parent, exc, fix="make it writable or give another `labels_dir` folder; nothing was labelled"
            ) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LabelError(
                f"{self.path.parent}: another 'triage label' (pid {holder}) is labelling here; "
                "finish or quit it first, or use another `labels_dir` folder"
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


ORDERS = ("uncertainty", "document", "unsure", "review")
"""What a session asks: unlabelled paragraphs least sure first or in reading order;
the paragraphs marked unsure; or labelled paragraphs given as a review queue."""


def now() -> str:
    """The time an answer is given: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Session:
    """The queue of paragraphs to ask, the answers given in this session, and a trail back.

    Parameters
    ----------
    articles
        The articles to label.
    order
        ``"uncertainty"``: the unlabelled paragraphs the model is least sure of
        first, across all articles; ``"document"``: article by article, in
        reading order; ``"unsure"``: the paragraphs marked unsure, in reading
        order; ``"review"``: the labelled paragraphs given as ``queue``, in
        that order (for instance the likely mislabels, most suspect first).
    annotator
        Recorded with every answer, as is the time.
    queue
        The paragraphs to ask, as ``(article, paragraph)`` positions, for
        ``order="review"``.

    Every answer is saved at once. The trail is this session's answered and
    skipped paragraphs in the order they were asked: :meth:`back` and
    :meth:`forward` move along it, and an answer given while looking back
    revises that paragraph's label.
    """

    articles: list[Article]
    order: str = "uncertainty"
    annotator: str = ""
    queue: list[tuple[int, int]] | None = None
    suggestions: dict[tuple[int, int], Suggestion] = field(default_factory=dict)
    given: dict[tuple[int, int], str] = field(default_factory=dict)
    history: list[tuple[tuple[int, int], tuple[str | None, str, tuple[str, Answer]]]] = field(
        default_factory=list
    )
    skipped: set[tuple[int, int]] = field(default_factory=set)
    trail: list[tuple[int, int]] = field(default_factory=list)
    cursor: int | None = None
    current: tuple[int, int] | None = None
    last_saved: str = ""
    compare: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    """For an adjudication: each paragraph's labels in the two folders compared."""
    compare_names: tuple[str, str] = ("A", "B")

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"unknown order {self.order!r}")
        if self.order == "review":
            self.pending = list(self.queue or [])
        else:
            self.pending = [
                (a, p.index)
                for a, article in enumerate(self.articles)
                for p in article.paragraphs
                if self._wanted(article, p.index)
            ]
        self._sort()
        self._advance()

    def _wanted(self, article: Article, index: int) -> bool:
        if self.order == "unsure":
            return index in article.unsure
        return index not in article.labels and index not in article.unsure

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
        if self.order == "uncertainty":
            if self.current is not None:
                self.pending.append(self.current)
            self._sort()
            self._advance()

    def _sort(self) -> None:
        if self.order == "review":
            return
        if self.order == "uncertainty" and self.suggestions:
            self.pending.sort(key=lambda item: (self.suggestions[item].score, item))
        else:
            self.pending.sort()

    def _advance(self) -> None:
        self.current = self.pending.pop(0) if self.pending else None

    # -- where the session is ---------------------------------------------

    @property
    def shown(self) -> tuple[int, int] | None:
        """The paragraph on screen: one looked back at, or the next one to ask."""
        return self.trail[self.cursor] if self.cursor is not None else self.current

    @property
    def looking_back(self) -> bool:
        return self.cursor is not None

    @property
    def remaining(self) -> int:
        """Paragraphs still to ask in this session, the one waiting included."""
        return len(self.pending) + (self.current is not None)

    def paragraph(self, item: tuple[int, int]) -> Paragraph:
        return self.articles[item[0]].paragraphs[item[1]]

    def answer_of(self, item: tuple[int, int]) -> str | None:
        """The paragraph's saved answer (a label or ``unsure``), or ``None``."""
        article = self.articles[item[0]]
        if item[1] in article.unsure:
            return UNSURE
        return article.labels.get(item[1])

    def progress(self, item: tuple[int, int]) -> tuple[int, int, int, int]:
        """Answered and total paragraphs of ``item``'s article, then of every article."""
        article = self.articles[item[0]]
        done = len(article.labels) + len(article.unsure)
        run_done = sum(len(a.labels) + len(a.unsure) for a in self.articles)
        run_total = sum(len(a.paragraphs) for a in self.articles)
        return done, len(article.paragraphs), run_done, run_total

    # -- what the user does -----------------------------------------------

    def _save(
        self, item: tuple[int, int], answer: str | None, note: str = "", who: Answer | None = None
    ) -> str | None:
        """Give ``item`` the answer (a label, ``unsure`` or ``None``) and save; return the old one.

        ``who`` is recorded as who answered (by default this session's
        annotator, now); an undo passes the answer it restores.
        """
        a, index = item
        article = self.articles[a]
        before = (dict(article.labels), dict(article.unsure), dict(article.answers))
        previous = self.answer_of(item)
        article.labels.pop(index, None)
        article.unsure.pop(index, None)
        article.answers.pop(index, None)
        if answer == UNSURE:
            article.unsure[index] = note
        elif answer is not None:
            article.labels[index] = answer
        who = who if who is not None else Answer(self.annotator, now(), note)
        if answer is not None and who != Answer():
            article.answers[index] = who
        try:
            article.save()
        except BaseException:
            article.labels, article.unsure, article.answers = before
            raise
        return previous

    def answer(self, label: str, note: str = "") -> None:
        """Answer the paragraph on screen (a label, or ``unsure``) and save its article at once.

        Looking back, the answer revises that paragraph and moves one step
        forward; otherwise it answers the next paragraph and asks the one after.
        """
        if label not in LABELS and label != UNSURE:
            raise ValueError(f"unknown label {label!r}")
        item = self.shown
        if item is None:
            return
        article = self.articles[item[0]]
        before = (article.unsure.get(item[1], ""), article.answers.get(item[1], Answer()))
        previous = self._save(item, label, note)
        self.history.append((item, (previous, label, before)))
        self.given[item] = label
        self.skipped.discard(item)
        self.last_saved = f"saved: {label} (paragraph {item[1] + 1} of {self.articles[item[0]].name})"
        if self.cursor is None:
            self.trail.append(item)
            self._advance()
        else:
            self.forward()

    def accept(self) -> bool:
        """Take the model's suggestion; False when there is none."""
        item = self.shown
        if item is None or item not in self.suggestions:
            return False
        self.answer(self.suggestions[item].label)
        return True

    def skip(self) -> None:
        """Leave the paragraph on screen as it is (unlabelled ones are asked in a later session)."""
        if self.cursor is not None:
            self.forward()
        elif self.current is not None:
            self.skipped.add(self.current)
            self.trail.append(self.current)
            self.last_saved = f"skipped paragraph {self.current[1] + 1} of {self.articles[self.current[0]].name}"
            self._advance()

    def back(self) -> bool:
        """Show the paragraph asked before the one on screen; False at the start of the session."""
        if self.cursor is None:
            if not self.trail:
                return False
            self.cursor = len(self.trail) - 1
        elif self.cursor == 0:
            return False
        else:
            self.cursor -= 1
        return True

    def forward(self) -> bool:
        """Go one step forward again after :meth:`back`; False when nothing is ahead."""
        if self.cursor is None:
            return False
        self.cursor += 1
        if self.cursor >= len(self.trail):
            self.cursor = None
        return True

    def undo(self) -> str | None:
        """Take back the last answer of this session and show that paragraph again.

        Returns what was undone, as a line for the screen, or ``None`` when
        there is nothing to undo.
        """
        if not self.history:
            return None
        item, (previous, label, (previous_note, previous_who)) = self.history[-1]
        self._save(item, previous, previous_note, previous_who)
        self.history.pop()
        if previous is None:
            self.given.pop(item, None)
            if item in self.trail:
                self.trail.remove(item)
            if self.current is not None:
                self.pending.insert(0, self.current)
            self.current = item
            self.cursor = None
        else:
            # What this session answered there before, if it did; else the answer is not this session's.
            earlier = [given for done, (_, given, _) in self.history if done == item]
            if earlier:
                self.given[item] = earlier[-1]
            else:
                self.given.pop(item, None)
            self.cursor = self.trail.index(item) if item in self.trail else None
        name = self.articles[item[0]].name
        was = f", back to {previous}" if previous is not None else ""
        self.last_saved = f"undid: {label} on paragraph {item[1] + 1} of {name}{was}"
        return self.last_saved

    @property
    def answered(self) -> Counter:
        """This session's answers per label (``unsure`` included), revisions counted once."""
        return Counter(self.given.values())

    def summary(self, labels_total: int | None = None) -> str:
        """One line: what this session labelled, per class, what it skipped, and the total."""
        answered = self.answered
        done = sum(answered[label] for label in LABELS)
        per_class = ", ".join(f"{label} {answered[label]}" for label in LABELS if answered[label])
        line = f"Labelled {done} paragraph{'s' * (done != 1)} this session"
        if per_class:
            line += f" ({per_class})"
        if answered[UNSURE]:
            line += f", {answered[UNSURE]} marked unsure"
        skipped = len(self.skipped)
        if skipped:
            line += f", {skipped} skipped"
        if labels_total is not None:
            line += f"; {labels_total} labelled in all"
        return line
