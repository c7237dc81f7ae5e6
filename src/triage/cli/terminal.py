"""The terminal side of ``triage label``: a full screen redrawn in place, one key at a time.

Keys: ``1``-``4`` or ``a s c b`` choose a label, Enter accepts the suggestion,
``n`` marks the paragraph unsure (with an optional note), ``k`` skips, ``←``/``p``
goes back to an earlier answer of the session and ``→`` forward again, ``u``
undoes the last answer, ``v`` shows the whole article, ``?`` the guide's
definitions and tie-breaks, ``q`` quits. Letters work in either case; keys typed
ahead are kept and used in order. The model is refitted in a background thread
every ``retrain_every`` answers, and its suggestions replace the old ones as
soon as it is ready (a failed refit is shown, and the old model kept).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, Group
from rich.markup import escape as escape_markup
from rich.rule import Rule
from rich.text import Text

from triage.config import LABELS
from triage.labelling.session import Session
from triage.labelling.files import UNSURE
from triage.cli.render import LABEL_STYLES
from triage.text import escape_controls


def escape(text: str) -> str:
    """Text from an article, safe to print: no rich markup, no terminal control characters."""
    return escape_markup(escape_controls(text))


KEYS = {
    "1": "attack",
    "2": "state_response",
    "3": "social_context",
    "4": "boilerplate",
    "a": "attack",
    "s": "state_response",
    "c": "social_context",
    "b": "boilerplate",
}

DEFINITIONS = {
    "attack": "violent acts by non-state perpetrators: what happened, casualties, attackers, claims, witnesses",
    "state_response": "what the state does or says: cordons, raids, arrests, charges, alerts, laws, statements",
    "social_context": "background: politics, economy, history, protests, public mood, analysis",
    "boilerplate": "not the story: navigation, bylines, datelines, credits, captions, notices, prompts",
}
"""One line per label for the guide screen when no guide file is found."""

KEY_HELP = (
    "1/a attack", "2/s state_response", "3/c social_context", "4/b boilerplate", "Enter accept",
    "n unsure", "k skip", "←/p back", "→ forward", "u undo", "v article", "? guide", "q quit",
)

STYLES = LABEL_STYLES


# -- the guide ----------------------------------------------------------------


@dataclass(frozen=True)
class Guide:
    """What ``?`` shows: the label definitions and the tie-breaks, and where they come from."""

    definitions: dict[str, str]
    tie_breaks: list[str]
    source: Path | None = None


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def _plain(markdown: str) -> str:
    """One line of the guide without its Markdown marks (code and emphasis)."""
    return " ".join(markdown.replace("`", "").replace("*", "").split())


def read_guide(*folders: Path) -> Guide:
    """The guide of the first of ``folders`` whose ``README.md`` has a ``## Tie-breaks`` section.

    The text is read from the labels folder's own README (the project's copy
    of the labelling guide), so the screen and the file never drift apart:
    the label table of its ``## The guide`` section and the numbered items of
    ``## Tie-breaks``. Without such a file the one-line definitions are shown.
    """
    for folder in folders:
        path = folder / "README.md"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        breaks = _section(text, "Tie-breaks")
        if not breaks.strip():
            continue
        items = [_plain(item) for item in re.split(r"^\s*\d+\.\s+", breaks, flags=re.M)[1:]]
        definitions = {}
        for row in re.finditer(r"^\|\s*`(\w+)`\s*\|(.*)\|\s*$", _section(text, "The guide"), re.M):
            if row.group(1) in LABELS:
                definitions[row.group(1)] = _plain(row.group(2))
        return Guide({**DEFINITIONS, **definitions}, items, path)
    return Guide(dict(DEFINITIONS), [], None)


# -- keys -----------------------------------------------------------------------

_SEQUENCES = {"\x1b[D": "left", "\x1bOD": "left", "\x1b[C": "right", "\x1bOC": "right"}


def split_keys(chunk: str) -> list[str]:
    """The keys in what one read from the terminal returned, in order.

    A fast typist's ``1`` and Enter arrive in one read as ``"1\\r"``: that is
    two keys. Arrow keys become ``"left"``/``"right"``; ``"\\r\\n"`` is one
    Enter; an unknown escape sequence is one key (shown as unknown).
    """
    keys, i = [], 0
    while i < len(chunk):
        if chunk[i] == "\x1b" and i + 1 < len(chunk) and chunk[i + 1] in "[O":
            end = i + 2
            while end < len(chunk) and not (chunk[end].isalpha() or chunk[end] == "~"):
                end += 1
            sequence = chunk[i : end + 1]
            keys.append(_SEQUENCES.get(sequence, sequence))
            i = end + 1
        elif chunk.startswith("\r\n", i):
            keys.append("\r")
            i += 2
        else:
            keys.append(chunk[i])
            i += 1
    return keys


class KeyReader:
    """Read keys from a terminal one at a time, keeping the ones typed ahead.

    Ctrl-C raises ``KeyboardInterrupt`` and Ctrl-D ``EOFError``, as a typed
    ``^C`` in a terminal that is not raw would.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self.queue: deque[str] = deque()
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def __call__(self) -> str:
        while not self.queue:
            data = os.read(self.fd, 1024)
            if not data:
                raise EOFError
            self.queue.extend(split_keys(self.decoder.decode(data)))
        key = self.queue.popleft()
        if key == "\x03":
            raise KeyboardInterrupt
        if key == "\x04":
            raise EOFError
        return key


@contextlib.contextmanager
def keys_from_terminal(fd: int) -> Iterator[KeyReader]:
    """A :class:`KeyReader` on ``fd``, with the terminal in cbreak mode (no echo) meanwhile."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield KeyReader(fd)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


# -- the background refit ------------------------------------------------------


class Retrainer:
    """Refit a model in a background thread; hand it over when it is ready.

    ``fit`` is called with no arguments and returns a model (or raises, in
    which case the old model is kept and the error remembered until
    :meth:`take_error`).
    """

    def __init__(self, fit: Callable[[], object]):
        self.fit = fit
        self.ready = None
        self.error: Exception | None = None
        self.thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> bool:
        if self.busy:
            return False

        def run():
            try:
                self.ready = self.fit()
            except Exception as exc:  # a half-edited label file: keep the old model
                self.error = exc

        self.thread = threading.Thread(target=run, name="triage-retrain", daemon=True)
        self.thread.start()
        return True

    def take(self):
        """The new model if one finished since the last call, else ``None``."""
        model, self.ready = self.ready, None
        return model

    def take_error(self) -> Exception | None:
        """The error of the last refit if it failed since the last call, else ``None``."""
        error, self.error = self.error, None
        return error


# -- drawing --------------------------------------------------------------------


def _styled(label: str) -> Text:
    return Text(label, style=STYLES.get(label, ""))


def _line(text: str, style: str = "", prefix: str = "  ") -> Text:
    """One paragraph on one line, cut with an ellipsis at the screen's edge."""
    out = Text(prefix + escape_controls(text), style=style, no_wrap=True, overflow="ellipsis")
    return out


def card(session: Session, note: str, width: int, height: int) -> Group:
    """The screen for the paragraph on show: context, suggestion, progress, keys."""
    item = session.shown
    a, index = item
    article = session.articles[a]
    paragraphs = article.paragraphs
    done, total, run_done, run_total = session.progress(item)
    parts: list = []
    parts.append(
        Text.assemble(
            (escape_controls(article.name), "bold"),
            f"  ·  paragraph {index + 1} of {len(paragraphs)} (CSV index {index})",
        )
    )
    this_session = sum(session.answered.values())
    parts.append(
        Text(
            f"article: {done} of {total} answered  ·  all {len(session.articles)} articles: "
            f"{run_done} of {run_total}  ·  {this_session} this session, {session.remaining} to go"
        )
    )
    if session.looking_back:
        parts.append(
            Text(
                f"looking back: answer {session.cursor + 1} of {len(session.trail)} this session "
                "(a key revises it, → goes forward)",
                style="yellow",
            )
        )
    parts.append(Rule(style="dim"))
    current = escape_controls(paragraphs[index].text)
    current_lines = len(current) // max(width - 2, 1) + 1
    room = height - current_lines - 12 - session.looking_back
    context = max(1, min(3, room // 2))
    for before in paragraphs[max(0, index - context) : index]:
        parts.append(_line(before.text, "dim"))
    parts.append(Text("> " + current, style="bold"))
    for after in paragraphs[index + 1 : index + 1 + context]:
        parts.append(_line(after.text, "dim"))
    parts.append(Rule(style="dim"))
    if item in session.compare:
        (name_a, name_b), (label_a, label_b) = session.compare_names, session.compare[item]
        parts.append(
            Text.assemble(
                f"{escape_controls(name_a)}: ", _styled(label_a), f"   {escape_controls(name_b)}: ", _styled(label_b),
                "   (choose the label by the guide: ? shows it)",
            )
        )
    answer = session.answer_of(item)
    if answer is not None:
        note_text = article.unsure.get(index, "")
        parts.append(
            Text.assemble(
                "your answer: " if session.order != "review" else "labelled: ",
                _styled(answer),
                f"  (note: {escape_controls(note_text)})" if note_text else "",
            )
        )
    suggestion = session.suggestions.get(item)
    if suggestion is not None:
        where = "model, out of fold" if session.order == "review" else "Enter to accept"
        parts.append(
            Text.assemble("suggestion: ", _styled(suggestion.label), f" {suggestion.score:.2f}  ({where})")
        )
    if session.last_saved:
        parts.append(Text(escape_controls(session.last_saved), style="green"))
    if note:
        parts.append(Text(escape_controls(note), style="yellow"))
    parts.append(Text("  ".join(KEY_HELP), style="dim"))
    return Group(*parts)


def article_view(session: Session, width: int, height: int) -> Group:
    """The whole article, a line per paragraph with its answer, the one on show marked."""
    a, index = session.shown
    article = session.articles[a]
    paragraphs = article.paragraphs
    rows = max(3, height - 4)
    first = max(0, min(index - rows // 2, len(paragraphs) - rows))
    parts: list = [
        Text.assemble(
            (escape_controls(article.name), "bold"), f"  ·  {len(paragraphs)} paragraphs  ·  v: back to the card"
        ),
        Rule(style="dim"),
    ]
    for paragraph in paragraphs[first : first + rows]:
        answer = session.answer_of((a, paragraph.index)) or ""
        mark = ">" if paragraph.index == index else " "
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{mark}{paragraph.index + 1:>4} ")
        line.append(f"{answer:<15}", style=STYLES.get(answer, "dim"))
        line.append(" " + escape_controls(paragraph.text), style="bold" if mark == ">" else "")
        parts.append(line)
    parts.append(Text("  ".join(KEY_HELP), style="dim"))
    return Group(*parts)


def guide_view(guide: Guide) -> Group:
    """The labels' definitions and the tie-breaks, until a key is pressed."""
    parts: list = [Text("The labelling guide", style="bold")]
    for label in LABELS:
        parts.append(Text.assemble("  ", _styled(label), ": ", guide.definitions[label]))
    if guide.tie_breaks:
        parts.append(Text("Tie-breaks", style="bold"))
        for number, item in enumerate(guide.tie_breaks, start=1):
            parts.append(Text(f"  {number}. {item}"))
    parts.append(
        Text(f"from {guide.source}" if guide.source else "no guide file found: labels/README.md has the rules", style="dim")
    )
    parts.append(Text("any key: back to the paragraph", style="dim"))
    return Group(*parts)


class Display:
    """Draw whole screens: in place on a terminal (the alternate screen), one after another elsewhere."""

    def __init__(self, console: Console):
        self.console = console
        self.screen = None

    def __enter__(self) -> Display:
        if self.console.is_terminal:
            self.screen = self.console.screen(hide_cursor=True)
            self.screen.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.screen is not None:
            self.screen.__exit__(*exc)
            self.screen = None

    @property
    def size(self) -> tuple[int, int]:
        width, height = self.console.size
        return width, height

    def draw(self, renderable) -> None:
        if self.screen is None:
            self.console.print()
            self.console.print(renderable)
            return
        from rich.control import Control

        self.console.control(Control.home())
        self.screen.update(renderable)


# -- the loop -------------------------------------------------------------------


def run(
    session: Session,
    *,
    getchar: Callable[[], str],
    console: Console,
    retrainer: Retrainer | None = None,
    retrain_every: int = 0,
    guide: Guide | None = None,
) -> str:
    """Ask until the queue is empty or the user quits; return why it ended.

    Returns ``"done"``, ``"quit"`` or ``"interrupted"`` (Ctrl-C or end of input).
    Every answer is already on disk when this returns.
    """
    loop = _Loop(session, getchar, Display(console), retrainer, retrain_every, guide or read_guide())
    try:
        with loop.display, loop.redraw_on_resize():
            return loop.ask()
    except (KeyboardInterrupt, EOFError):
        return "interrupted"


class _Loop:
    def __init__(self, session, getchar, display, retrainer, retrain_every, guide):
        self.session = session
        self.getchar = getchar
        self.display = display
        self.retrainer = retrainer
        self.retrain_every = retrain_every
        self.guide = guide
        self.view = "card"
        self.note = ""
        self.since_retrain = 0

    def draw(self) -> None:
        width, height = self.display.size
        if self.view == "guide":
            self.display.draw(guide_view(self.guide))
        elif self.view == "article":
            self.display.draw(article_view(self.session, width, height))
        else:
            self.display.draw(card(self.session, self.note, width, height))

    @contextlib.contextmanager
    def redraw_on_resize(self):
        """Redraw at the new size when the terminal is resized (where the system can say so)."""
        if self.display.screen is None or not hasattr(signal, "SIGWINCH"):
            yield
            return

        def resized(signum, frame):
            if self.session.shown is not None:
                self.draw()

        previous = signal.signal(signal.SIGWINCH, resized)
        try:
            yield
        finally:
            signal.signal(signal.SIGWINCH, previous)

    def refresh_model(self) -> None:
        if self.retrainer is None:
            return
        model = self.retrainer.take()
        if model is not None:
            self.session.suggest_with(model)
            self.note = "suggestions updated from a model retrained on your answers"
        error = self.retrainer.take_error()
        if error is not None:
            self.note = f"the background retrain failed ({error}); the suggestions are from the earlier model"

    def ask(self) -> str:
        session = self.session
        while session.shown is not None:
            self.refresh_model()
            self.draw()
            self.note = ""
            key = self.getchar()
            if self.view == "guide":
                self.view = "card"
                continue
            lower = key.lower() if len(key) == 1 else key
            if lower == "q":
                return "quit"
            if key in ("\r", "\n"):
                if session.looking_back:
                    session.forward()
                elif not session.accept():
                    self.note = "no suggestion to accept: choose a label"
                    continue
                else:
                    self.answered()
            elif lower in KEYS:
                was_new = not session.looking_back
                session.answer(KEYS[lower])
                if was_new:
                    self.answered()
            elif lower == "n":
                self.mark_unsure()
            elif lower == "u":
                if session.undo() is None:
                    self.note = "nothing to undo in this session"
            elif lower == "k":
                session.skip()
            elif lower in ("p", "left"):
                if not session.back():
                    self.note = "this is the first paragraph of the session"
            elif lower == "right":
                if not session.forward():
                    self.note = "nothing ahead: this is the next paragraph to answer"
            elif lower == "v":
                self.view = "card" if self.view == "article" else "article"
            elif key == "?":
                self.view = "guide"
            else:
                self.note = f"unknown key {key!r}: press ? for the guide, or see the keys below"
        return "done"

    def answered(self) -> None:
        self.since_retrain += 1
        if self.retrainer is not None and self.retrain_every and self.since_retrain >= self.retrain_every:
            if self.retrainer.start():
                self.since_retrain = 0

    def mark_unsure(self) -> None:
        """Ask for an optional note, then save the paragraph as unsure (Esc: leave it as it was)."""
        typed = ""
        while True:
            self.note = f"unsure: note (optional), Enter saves, Esc cancels: {typed}_"
            self.draw()
            key = self.getchar()
            if key in ("\r", "\n"):
                break
            if key == "\x1b":
                self.note = "not marked unsure"
                return
            if key in ("\x7f", "\x08"):
                typed = typed[:-1]
            elif len(key) == 1 and key.isprintable():
                typed += key
        was_new = not self.session.looking_back
        self.session.answer(UNSURE, typed.strip())
        if was_new:
            self.answered()
        self.note = ""


def labelled_total(articles_dir: Path) -> int | None:
    """Labelled paragraphs under a labels folder, or ``None`` if it cannot be read now."""
    from triage.errors import TriageError
    from triage.labelling.files import load_labels

    try:
        return sum(len(a.labels) for a in load_labels(articles_dir, require_labels=False))
    except TriageError:
        return None
