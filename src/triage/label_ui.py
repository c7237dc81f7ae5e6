"""The terminal side of ``triage label``: draw a paragraph, read one key, repeat.

Keys: ``1``-``4`` or ``a s c b`` choose a label, Enter accepts the suggestion,
``u`` undoes, ``k`` skips, ``?`` shows the label definitions, ``q`` quits.
The model is refitted in a background thread every ``retrain_every`` answers,
and its suggestions replace the old ones as soon as it is ready.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape as escape_markup

from triage.config import LABELS
from triage.labelling import Session
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

HELP_LINE = (
    "1/a attack  2/s state_response  3/c social_context  4/b boilerplate  "
    "Enter accept  u undo  k skip  ? help  q quit"
)

STYLES = {
    "attack": "bold red",
    "state_response": "bold blue",
    "social_context": "green",
    "boilerplate": "magenta",
}


class Retrainer:
    """Refit a model in a background thread; hand it over when it is ready.

    ``fit`` is called with no arguments and returns a model (or raises, in
    which case the old model is kept and the error remembered).
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


def _show(console: Console, session: Session, position: int, note: str) -> None:
    item = session.current
    article = session.articles[item[0]]
    paragraphs = article.paragraphs
    index = item[1]
    console.print()
    console.rule(
        f"[bold]{escape(article.name)}[/] paragraph {index + 1} of {len(paragraphs)}"
        f"  ·  {position} this session, {session.remaining} to go",
        align="left",
    )
    if index > 0:
        console.print(f"[dim]  {escape(paragraphs[index - 1].text)}[/]")
    console.print(f"[bold]> {escape(paragraphs[index].text)}[/]")
    if index + 1 < len(paragraphs):
        console.print(f"[dim]  {escape(paragraphs[index + 1].text)}[/]")
    suggestion = session.suggestions.get(item)
    if suggestion is not None:
        style = STYLES[suggestion.label]
        console.print(
            f"suggestion: [{style}]{suggestion.label}[/] {suggestion.score:.2f}  (Enter to accept)"
        )
    if note:
        console.print(f"[yellow]{escape(note)}[/]")
    console.print(f"[dim]{HELP_LINE}[/]")


def run(
    session: Session,
    *,
    getchar: Callable[[], str],
    console: Console,
    retrainer: Retrainer | None = None,
    retrain_every: int = 0,
) -> str:
    """Ask until the queue is empty or the user quits; return why it ended.

    Returns ``"done"``, ``"quit"`` or ``"interrupted"`` (Ctrl-C or end of input).
    Every answer is already on disk when this returns.
    """
    try:
        return _ask(session, getchar, console, retrainer, retrain_every)
    except (KeyboardInterrupt, EOFError):
        return "interrupted"


def _ask(session, getchar, console, retrainer, retrain_every) -> str:
    note = ""
    since_retrain = 0
    while session.current is not None:
        if retrainer is not None:
            model = retrainer.take()
            if model is not None:
                session.suggest_with(model)
                note = "suggestions updated from a model retrained on your answers"
        _show(console, session, sum(session.answered.values()) + 1, note)
        note = ""
        key = getchar()
        if key in ("q", "Q"):
            return "quit"
        if key in ("\r", "\n"):
            if not session.accept():
                note = "no suggestion to accept: choose a label"
                continue
        elif key.lower() in KEYS:
            session.answer(KEYS[key.lower()])
        elif key == "u":
            if not session.undo():
                note = "nothing to undo in this session"
            continue
        elif key == "k":
            session.skip()
            continue
        elif key == "?":
            for label in LABELS:
                console.print(f"  [{STYLES[label]}]{label}[/]: {DEFINITIONS[label]}")
            continue
        else:
            note = f"unknown key {key!r}: press ? for help"
            continue
        since_retrain += 1
        if retrainer is not None and retrain_every and since_retrain >= retrain_every:
            if retrainer.start():
                since_retrain = 0
    return "done"


def read_key() -> str:
    """One key press from the terminal (Ctrl-C raises KeyboardInterrupt, Ctrl-D EOFError)."""
    try:
        from typer._click.termui import getchar
    except ImportError:  # typer that runs on click itself
        from click import getchar
    return getchar()


def labelled_total(articles_dir: Path) -> int | None:
    """Labelled paragraphs under a labels folder, or ``None`` if it cannot be read now."""
    from triage.errors import TriageError
    from triage.labels import load_labels

    try:
        return sum(len(a.labels) for a in load_labels(articles_dir))
    except TriageError:
        return None
