"""triage label: the terminal loop through a real pseudo-terminal, and its session logic."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from triage.labelling.session import LabelsLock, Session, open_article
from triage.text import split_paragraphs

pexpect = pytest.importorskip("pexpect")

ARTICLE = (
    "Gunmen opened fire on a bus station in the town of Arvel on Monday, killing four people.\n"
    "Police sealed off the station and arrested two suspects later that night.\n"
    "The region has seen months of strikes over unpaid wages in the mines.\n"
    "Share this story\n"
)
PROMPT = "q quit"


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _spawn(project: Path, model_path: Path, *args: str):
    env = dict(os.environ, TRIAGE_HOME=str(project), COLUMNS="160", TERM="xterm")
    return pexpect.spawn(
        sys.executable,
        ["-m", "triage", "label", *args, "--model", str(model_path), "--retrain-every", "0", "--annotator", "tester"],
        cwd=str(project),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 160),
    )


@pytest.fixture
def article(project) -> Path:
    path = project / "incoming" / "arvel.txt"
    path.parent.mkdir()
    path.write_text(ARTICLE, encoding="utf-8")
    return path


@pytest.mark.slow
def test_label_undo_quit_resume_saves_every_answer(project, model_path, article):
    labels = project / "labels"
    child = _spawn(project, model_path, str(article), "--order", "document")
    child.expect("arvel")
    child.expect("paragraph 1 of 4")
    child.expect(PROMPT)
    child.send("1")  # attack
    child.expect("paragraph 2 of 4")
    child.expect(PROMPT)
    child.send("b")  # wrong ...
    child.expect("paragraph 3 of 4")
    child.expect(PROMPT)
    assert _rows(labels / "arvel.csv")[-1][:2] == ["1", "boilerplate"]
    child.send("u")  # ... undone: paragraph 2 is asked again
    child.expect("paragraph 2 of 4")
    child.expect(PROMPT)
    assert [r[:2] for r in _rows(labels / "arvel.csv")] == [["0", "attack"]]
    child.send("s")  # state_response
    child.expect(PROMPT)
    child.send("q")
    child.expect("Labelled 2 paragraphs this session \\(attack 1, state_response 1\\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    # The article's text was copied into the labels, so they survive the original moving.
    assert (labels / "arvel.txt").read_text(encoding="utf-8") == ARTICLE
    paragraphs = split_paragraphs(ARTICLE)
    rows = _rows(labels / "arvel.csv")
    assert [r[:3] for r in rows] == [
        ["0", "attack", paragraphs[0].text],
        ["1", "state_response", paragraphs[1].text],
    ]
    # Who answered and when travel with every answer.
    assert [r[3] for r in rows] == ["tester", "tester"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[4]) for r in rows)

    # Resume: only the two unlabelled paragraphs are asked; Enter takes the suggestion.
    child = _spawn(project, model_path, str(article), "--order", "document")
    child.expect("paragraph 3 of 4")
    child.expect("suggestion: (?:\x1b\\[[0-9;]*m)?(\\w+)")
    suggested = child.match.group(1)
    child.expect(PROMPT)
    child.send("\r")
    child.expect("paragraph 4 of 4")
    child.expect(PROMPT)
    child.send("k")  # skipped: the queue is now empty and the session ends by itself
    child.expect("Labelled 1 paragraph this session")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [r[:2] for r in _rows(labels / "arvel.csv")] == [
        ["0", "attack"],
        ["1", "state_response"],
        ["2", suggested],
    ]


def test_keys_typed_ahead_in_one_burst_are_each_used(project, model_path, article):
    child = _spawn(project, model_path, str(article), "--order", "document")
    child.expect(PROMPT)
    child.send("4S\r")  # three keys in one write: boilerplate, state_response (Caps), Enter
    child.expect("paragraph 4 of 4")
    child.expect(PROMPT)
    child.send("q")
    child.expect("Labelled 3 paragraphs this session")
    child.expect(pexpect.EOF)
    child.close()
    rows = _rows(project / "labels" / "arvel.csv")
    assert [r[:2] for r in rows][:2] == [["0", "boilerplate"], ["1", "state_response"]]
    assert len(rows) == 3


@pytest.mark.slow
def test_killed_session_keeps_every_saved_answer_and_no_half_file(project, model_path, article):
    labels = project / "labels"
    child = _spawn(project, model_path, str(article), "--order", "document")
    child.expect(PROMPT)
    child.send("1")
    child.expect("paragraph 2 of 4")
    child.expect(PROMPT)
    child.send("2")
    child.expect("paragraph 3 of 4")
    child.expect(PROMPT)
    child.kill(signal.SIGKILL)
    child.close()
    assert [r[:2] for r in _rows(labels / "arvel.csv")] == [["0", "attack"], ["1", "state_response"]]
    assert not list(labels.glob(".*.tmp"))
    # The labels load, so training sees them.
    from triage.labelling.files import load_labels

    assert {a.name for a in load_labels(labels)} >= {"arvel"}


@pytest.mark.slow
def test_ctrl_c_ends_the_session_with_its_summary(project, model_path, article):
    child = _spawn(project, model_path, str(article), "--order", "document")
    child.expect(PROMPT)
    child.send("4")
    child.expect(PROMPT)
    child.sendintr()
    child.expect("Labelled 1 paragraph this session \\(boilerplate 1\\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_second_session_on_the_same_labels_is_refused(project, model_path, article):
    with LabelsLock(project / "labels"):
        child = _spawn(project, model_path, str(article))
        child.expect("Error: .*another 'triage label' \\(pid \\d+\\) is labelling here")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 1
    assert not (project / "labels" / "arvel.csv").exists()


def test_label_without_a_terminal_is_a_clear_error(project, article):
    done = subprocess.run(
        [sys.executable, "-m", "triage", "label", str(article)],
        input="1\n",
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: triage label: standard input is not a terminal")
    assert "Traceback" not in done.stderr


class _Scores:
    """A stand-in model whose score for a paragraph is given by its text."""

    def __init__(self, scores: dict[str, float], label: str = "attack"):
        self.scores = scores
        self.label = label

    def classify_paragraphs(self, paragraphs):
        from triage.model import ClassifiedParagraph

        return [
            ClassifiedParagraph(p.index, p.start, p.end, p.text, self.label, self.scores[p.text], {})
            for p in paragraphs
        ]


def test_uncertainty_order_asks_the_least_sure_paragraph_first_across_articles(tmp_path):
    labels = tmp_path / "labels"
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("alpha\nbravo\n", encoding="utf-8")
    two.write_text("charlie\ndelta\n", encoding="utf-8")
    session = Session([open_article(one, labels), open_article(two, labels)])
    session.suggest_with(_Scores({"alpha": 0.9, "bravo": 0.6, "charlie": 0.3, "delta": 0.8}))
    asked = []
    while session.current is not None:
        asked.append(session.paragraph(session.current).text)
        session.answer("boilerplate")
    assert asked == ["charlie", "bravo", "delta", "alpha"]
    assert session.summary() == "Labelled 4 paragraphs this session (boilerplate 4)"


def test_a_retrained_model_replaces_the_suggestions(tmp_path):
    from rich.console import Console

    from triage.cli import terminal

    article = tmp_path / "one.txt"
    article.write_text("alpha\nbravo\ncharlie\n", encoding="utf-8")
    session = Session([open_article(article, tmp_path / "labels")], order="document")
    session.suggest_with(_Scores({"alpha": 0.5, "bravo": 0.5, "charlie": 0.5}, label="attack"))
    retrainer = terminal.Retrainer(lambda: _Scores({"alpha": 0.9, "bravo": 0.9, "charlie": 0.9}, "boilerplate"))
    keys = iter(["1", "\r", "\r"])

    def getchar():
        key = next(keys)
        if key == "\r" and retrainer.thread is not None:
            retrainer.thread.join()  # the refit finished while the user read
        return key

    ended = terminal.run(
        session, getchar=getchar, console=Console(file=open(os.devnull, "w")), retrainer=retrainer, retrain_every=1
    )
    assert ended == "done"
    # The first answer was typed; the refit after it suggested boilerplate for the rest.
    assert session.articles[0].labels == {0: "attack", 1: "boilerplate", 2: "boilerplate"}


def test_same_name_different_text_gets_its_own_label_file(tmp_path):
    labels = tmp_path / "labels"
    first = tmp_path / "a" / "report.txt"
    second = tmp_path / "b" / "report.txt"
    for path, text in ((first, "one\ntwo\n"), (second, "three\nfour\n")):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    session = Session([open_article(first, labels)], order="document")
    session.answer("attack")
    other = open_article(second, labels)
    assert other.name.startswith("report-") and other.label_path != session.articles[0].label_path
    # The same text again resumes the first article's labels.
    assert open_article(first, labels).labels == {0: "attack"}


def test_ctrl_c_while_the_card_is_drawn_still_ends_with_the_answers_saved(tmp_path):
    """The interrupt can land outside the key read (the terminal is not raw while drawing)."""
    from rich.console import Console

    from triage.cli import terminal

    article = tmp_path / "one.txt"
    article.write_text("alpha\nbravo\n", encoding="utf-8")
    session = Session([open_article(article, tmp_path / "labels")], order="document")
    session.suggest_with(_Scores({"alpha": 0.5, "bravo": 0.5}))

    class Interrupting(Console):
        def print(self, *args, **kwargs):
            if session.articles[0].labels:  # drawing the second card
                raise KeyboardInterrupt
            super().print(*args, **kwargs)

    keys = iter(["4"])
    ended = terminal.run(session, getchar=lambda: next(keys), console=Interrupting(file=open(os.devnull, "w")))
    assert ended == "interrupted"
    assert session.articles[0].labels == {0: "boilerplate"}
