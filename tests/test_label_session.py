"""triage label for a team: any labels folder, keys, back and forward, unsure, who answered, the guide."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from triage.cli import terminal
from triage.labelling.session import Session, Suggestion, open_article, session_articles
from triage.labelling.files import UNSURE, check_label_file, load_labels

REPO = Path(__file__).resolve().parents[1]
SEED = "000_ca1e9aa6cd9c9465"


def _session(tmp_path: Path, text: str = "alpha\nbravo\ncharlie\ndelta\n", **kwargs) -> Session:
    article = tmp_path / "one.txt"
    article.write_text(text, encoding="utf-8")
    session = Session([open_article(article, tmp_path / "labels")], order="document", annotator="ann", **kwargs)
    session.suggestions = {(0, i): Suggestion("attack", 0.5) for i in range(len(text.splitlines()))}
    return session


def _rows(session: Session) -> list[list[str]]:
    with open(session.articles[0].label_path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _run(session: Session, keys: list[str], **kwargs) -> tuple[str, str]:
    """Run the loop on ``keys``; return how it ended and everything drawn."""
    out = io.StringIO()
    feed = iter(keys)

    def getchar():
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    ended = terminal.run(session, getchar=getchar, console=Console(file=out, width=120), **kwargs)
    return ended, out.getvalue()


# -- keys -------------------------------------------------------------------------


def test_keys_typed_ahead_are_split_and_kept_in_order():
    assert terminal.split_keys("1\r") == ["1", "\r"]
    assert terminal.split_keys("a\r\nb") == ["a", "\r", "b"]
    assert terminal.split_keys("\x1b[D\x1b[C\x1bOD") == ["left", "right", "left"]
    assert terminal.split_keys("\x1b[5~q") == ["\x1b[5~", "q"]
    assert terminal.split_keys("\x1b") == ["\x1b"]


def test_key_reader_queues_what_one_read_returns():
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, "1\r\x1b[Dé".encode())
        reader = terminal.KeyReader(read_end)
        assert [reader() for _ in range(4)] == ["1", "\r", "left", "é"]
        os.write(write_end, b"\x03")
        with pytest.raises(KeyboardInterrupt):
            reader()
        os.write(write_end, b"\x04")
        with pytest.raises(EOFError):
            reader()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_upper_case_keys_work_like_lower_case(tmp_path):
    session = _session(tmp_path)
    ended, _ = _run(session, ["A", "S", "K", "Q"])
    assert ended == "quit"
    assert session.articles[0].labels == {0: "attack", 1: "state_response"}
    assert session.skipped == {(0, 2)}


# -- back and forward, undo ---------------------------------------------------------


def test_back_revises_an_earlier_answer_and_forward_returns_to_the_next_question(tmp_path):
    session = _session(tmp_path)
    ended, drawn = _run(session, ["1", "2", "3", "left", "left", "4", "right", "right", "b"])
    assert ended == "done"
    # Two steps back is paragraph 2 (index 1): revised to boilerplate, which moves one
    # step forward (index 2); forward again is the next question (index 3), and one more
    # step forward is refused there; b answers it and the queue is empty.
    assert session.articles[0].labels == {0: "attack", 1: "boilerplate", 2: "social_context", 3: "boilerplate"}
    assert "looking back" in drawn and "your answer: state_response" in drawn
    assert "nothing ahead: this is the next paragraph to answer" in drawn
    # A revision is counted once in the summary.
    assert session.summary() == (
        "Labelled 4 paragraphs this session (attack 1, social_context 1, boilerplate 2)"
    )


def test_p_goes_back_too_and_back_stops_at_the_first_answer(tmp_path):
    session = _session(tmp_path)
    _, drawn = _run(session, ["1", "p", "p", "q"])
    assert "this is the first paragraph of the session" in drawn
    assert session.cursor == 0


def test_undo_says_what_it_undid_and_restores_a_revised_label(tmp_path):
    session = _session(tmp_path)
    _run(session, ["1", "2", "left", "4", "u", "q"])
    # The revision (state_response -> boilerplate) was undone: state_response again.
    assert session.articles[0].labels == {0: "attack", 1: "state_response"}
    assert session.last_saved == "undid: boilerplate on paragraph 2 of one, back to state_response"
    assert [row[1] for row in _rows(session)[1:]] == ["attack", "state_response"]


def test_skipped_paragraphs_are_counted_and_can_be_answered_later(tmp_path):
    session = _session(tmp_path)
    _run(session, ["k", "k", "left", "2", "q"])
    assert session.articles[0].labels == {1: "state_response"}
    assert session.skipped == {(0, 0)}
    assert session.summary() == "Labelled 1 paragraph this session (state_response 1), 1 skipped"


# -- unsure -------------------------------------------------------------------------


def test_unsure_with_a_note_is_saved_excluded_from_training_and_asked_again(tmp_path):
    session = _session(tmp_path)
    ended, _ = _run(session, ["1", "n", "n", "o", "?", "\x7f", "!", "\r", "q"])
    assert ended == "quit"
    rows = _rows(session)
    assert rows[0] == ["index", "label", "text", "annotator", "time", "note"]
    assert rows[2][:3] == ["1", UNSURE, "bravo"] and rows[2][5] == "no!"
    labels = tmp_path / "labels"
    (article,) = load_labels(labels)
    assert article.labels == {0: "attack"}  # what training sees
    assert article.unsure == {1: "no!"}
    # --order unsure asks exactly that paragraph; a label replaces the mark.
    again = Session(session_articles(labels), order="unsure", annotator="ann")
    assert again.current == (0, 1)
    again.answer("social_context")
    (article,) = load_labels(labels)
    assert article.labels == {0: "attack", 1: "social_context"} and article.unsure == {}
    assert again.current is None


def test_escape_cancels_the_unsure_mark(tmp_path):
    session = _session(tmp_path)
    _, drawn = _run(session, ["n", "x", "\x1b", "q"])
    assert session.articles[0].unsure == {} and session.articles[0].labels == {}
    assert "not marked unsure" in drawn


def test_labels_check_lists_unsure_paragraphs(tmp_path):
    session = _session(tmp_path)
    _run(session, ["1", "n", "\r", "q"])
    env = dict(os.environ, TRIAGE_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "triage", "labels", "check", "--no-model", "--labels", str(tmp_path / "labels")],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "unsure: labels/one.csv #1: 'bravo'" in done.stdout
    assert "1 labelled paragraphs, 1 marked unsure" in done.stdout


# -- who answered ----------------------------------------------------------------


def test_old_files_without_annotator_columns_load_and_keep_their_shape(tmp_path):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "a.txt").write_text("alpha\nbravo\n", encoding="utf-8")
    (labels / "a.csv").write_text("index,label,text\n0,attack,alpha\n", encoding="utf-8")
    article, problems = check_label_file(labels / "a.csv", labels)
    assert problems == [] and article.labels == {0: "attack"} and article.answers == {}
    session = Session(session_articles(labels), order="document", annotator="bo")
    session.answer("boilerplate")
    rows = list(csv.reader(open(labels / "a.csv", encoding="utf-8")))
    assert rows[1] == ["0", "attack", "alpha", "", "", ""]  # the old answer keeps no name
    assert rows[2][:4] == ["1", "boilerplate", "bravo", "bo"]


def test_unknown_extra_column_is_a_problem_with_file_and_line(tmp_path):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "a.txt").write_text("alpha\n", encoding="utf-8")
    (labels / "a.csv").write_text("index,label,text,mood\n0,attack,alpha,x\n", encoding="utf-8")
    _, problems = check_label_file(labels / "a.csv", labels)
    assert problems and problems[0].startswith("labels/a.csv line 1: header is")


# -- the guide ----------------------------------------------------------------------


def test_question_mark_shows_the_tie_breaks_of_the_labels_readme(tmp_path):
    guide = terminal.read_guide(REPO / "labels")
    assert len(guide.tie_breaks) == 6
    readme = (REPO / "labels" / "README.md").read_text(encoding="utf-8")
    assert "an attack on security forces is `attack`" in readme
    assert "an attack on security forces is attack" in guide.tie_breaks[1]
    session = _session(tmp_path)
    _, drawn = _run(session, ["?", "x", "q"], guide=guide)
    assert "Tie-breaks" in drawn and "6. A witness describing the violence" in " ".join(drawn.split())
    assert session.articles[0].labels == {}  # the key that closed the guide did nothing else


def test_whole_article_view_marks_the_paragraph_on_show(tmp_path):
    session = _session(tmp_path)
    _, drawn = _run(session, ["1", "v", "q"])
    view = drawn.split("v: back to the card")[1]
    assert "attack" in view.splitlines()[2]  # paragraph 1, answered
    assert any(line.startswith(">   2") and "bravo" in line for line in view.splitlines())


# -- the model ------------------------------------------------------------------------


def test_a_failed_background_retrain_is_shown_and_the_old_suggestions_kept(tmp_path):
    session = _session(tmp_path)

    def broken():
        raise ValueError("labels/x.csv line 3: unknown label 'atack'")

    retrainer = terminal.Retrainer(broken)
    keys = iter(["1", "2", "q"])

    def getchar():
        key = next(keys)
        if retrainer.thread is not None:
            retrainer.thread.join()
        return key

    out = io.StringIO()
    terminal.run(session, getchar=getchar, console=Console(file=out, width=200), retrainer=retrainer, retrain_every=1)
    assert "the background retrain failed (labels/x.csv line 3: unknown label 'atack')" in out.getvalue()
    assert session.suggestions[(0, 2)] == Suggestion("attack", 0.5)


def test_the_starting_model_for_a_labels_folder_is_trained_on_it_and_cached(tmp_path, monkeypatch):
    from triage import api

    labels = tmp_path / "elsewhere"
    labels.mkdir()
    for name in (SEED, "001_0016b085595473bd"):
        shutil.copy(REPO / "labels" / f"{name}.csv", labels)
        shutil.copy(REPO / "labels" / f"{name}.txt", labels)
    notes = []
    first = api.labels_model(labels, note=notes.append)
    assert first.metadata["labels_dir"] == str(labels.resolve())
    assert notes and "training a model on the 2 labelled articles" in notes[0]
    def trained_again(*args, **kwargs):
        raise RuntimeError("trained again")

    monkeypatch.setattr(api, "train", trained_again)
    again = api.labels_model(labels, note=notes.append)
    assert again.metadata["labels_sha256"] == first.metadata["labels_sha256"]
    # Changed labels are other labels: a model of their own.
    (labels / "001_0016b085595473bd.csv").unlink()
    with pytest.raises(RuntimeError, match="trained again"):
        api.labels_model(labels)


# -- any labels folder ------------------------------------------------------------------


def test_seed_texts_beside_their_labels_are_the_seeds():
    for seed in sorted((REPO / "seeds").glob("*.txt")):
        assert (REPO / "labels" / seed.name).read_bytes() == seed.read_bytes()


@pytest.mark.slow
def test_a_copied_labels_folder_works_for_stats_check_and_train(tmp_path):
    copy = tmp_path / "somewhere" / "my-labels"
    copy.parent.mkdir()
    shutil.copytree(REPO / "labels", copy, ignore=shutil.ignore_patterns("extra", "html"))
    env = dict(os.environ, TRIAGE_HOME=str(tmp_path / "home"))

    def triage(*args):
        return subprocess.run(
            [sys.executable, "-m", "triage", *args], capture_output=True, text=True, env=env, timeout=300
        )

    stats = triage("labels", "stats", "--labels", str(copy), "--format", "json")
    assert stats.returncode == 0, stats.stderr
    assert sum(row["labelled"] for row in __import__("json").loads(stats.stdout)) == 103
    check = triage("labels", "check", "--no-model", "--labels", str(copy))
    assert check.returncode == 0 and "5 articles, 103 labelled paragraphs; 0 errors" in check.stdout
    trained = triage("train", "--labels", str(copy), "--no-eval", "--model", str(tmp_path / "m.joblib"))
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "m.joblib").is_file()


# -- adjudication ---------------------------------------------------------------------------


def _two_annotations(tmp_path: Path) -> tuple[Path, Path]:
    text = "alpha\nbravo\ncharlie\ndelta\n"
    folders = []
    for name, labels in (("ann_a", ["attack", "state_response", "boilerplate", "attack"]),
                         ("ann_b", ["attack", "social_context", "boilerplate", "state_response"])):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "one.txt").write_text(text, encoding="utf-8")
        rows = "".join(f"{i},{label},{word}\n" for i, (label, word) in enumerate(zip(labels, text.split())))
        (folder / "one.csv").write_text("index,label,text\n" + rows, encoding="utf-8")
        folders.append(folder)
    return folders[0], folders[1]


def test_adjudication_copies_the_agreed_labels_and_asks_only_the_disagreements(tmp_path):
    from triage.labelling.session import adjudication

    folder_a, folder_b = _two_annotations(tmp_path)
    out = tmp_path / "out"
    plan = adjudication(folder_a, folder_b, out)
    assert plan.agreed == 2 and plan.queue == [(0, 1), (0, 3)]
    assert plan.answers == {(0, 1): ("state_response", "social_context"), (0, 3): ("attack", "state_response")}
    (saved,) = load_labels(out)
    assert saved.labels == {0: "attack", 2: "boilerplate"} and saved.answers[0].annotator == "agreed"
    session = Session(plan.articles, order="review", annotator="judge", queue=plan.queue)
    session.compare, session.compare_names = plan.answers, ("ann_a", "ann_b")
    ended, drawn = _run(session, ["3", "1"])
    assert ended == "done"
    assert "ann_a: state_response   ann_b: social_context" in drawn
    (saved,) = load_labels(out)
    assert saved.labels == {0: "attack", 1: "social_context", 2: "boilerplate", 3: "attack"}
    assert saved.answers[1].annotator == "judge"
    # Again: nothing left to decide, nothing copied twice.
    again = adjudication(folder_a, folder_b, out)
    assert again.queue == [] and again.agreed == 0


def test_adjudicate_in_a_terminal_walks_the_disagreements(tmp_path, model_path):
    pexpect = pytest.importorskip("pexpect")
    folder_a, folder_b = _two_annotations(tmp_path)
    out = tmp_path / "out"
    env = dict(os.environ, TRIAGE_HOME=str(tmp_path / "home"), TERM="xterm")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "label", "--adjudicate", str(folder_a), str(folder_b), "--labels", str(out),
         "--annotator", "judge"],
        env=env, encoding="utf-8", timeout=60, dimensions=(40, 160),
    )
    child.expect("2 labels both give copied")
    child.expect("ann_a: (?:\x1b\\[[0-9;]*m)*state_response")
    child.expect("q quit")
    child.send("2")
    child.expect("paragraph 4 of 4")
    child.expect("q quit")
    child.send("2")
    child.expect("Labelled 2 paragraphs this session \\(state_response 2\\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (saved,) = load_labels(out)
    assert saved.labels == {0: "attack", 1: "state_response", 2: "boilerplate", 3: "state_response"}
    refused = pexpect.spawn(
        sys.executable, ["-m", "triage", "label", "--adjudicate", str(folder_a), str(folder_b)],
        env=env, encoding="utf-8", timeout=60,
    )
    refused.expect("Error: --adjudicate: give the folder to save the decisions in with --labels OUT")
    refused.expect(pexpect.EOF)
    refused.close()
    assert refused.exitstatus == 2


def test_review_order_asks_the_queue_in_its_order_and_enter_takes_the_models_label(tmp_path):
    session = _session(tmp_path)
    _run(session, ["1", "1", "2", "4"])  # every paragraph labelled
    review = Session(session_articles(tmp_path / "labels"), order="review", annotator="rev", queue=[(0, 2), (0, 0)])
    review.suggestions = {(0, 2): Suggestion("social_context", 0.9), (0, 0): Suggestion("attack", 0.8)}
    ended, drawn = _run(review, ["\r", "k"])
    assert ended == "done"
    assert "labelled: state_response" in drawn and "(model, out of fold)" in drawn
    (article,) = load_labels(tmp_path / "labels")
    assert article.labels == {0: "attack", 1: "attack", 2: "social_context", 3: "boilerplate"}
    assert article.answers[2].annotator == "rev" and article.answers[0].annotator == "ann"


# -- found in review ----------------------------------------------------------------------


def test_undo_in_review_does_not_count_the_earlier_label_as_this_sessions(tmp_path):
    session = _session(tmp_path)
    _run(session, ["1", "q"])
    review = Session(session_articles(tmp_path / "labels"), order="review", annotator="rev", queue=[(0, 0)])
    review.answer("boilerplate")
    assert review.undo() is not None
    assert review.articles[0].labels == {0: "attack"}
    assert review.summary() == "Labelled 0 paragraphs this session"


def test_a_folder_of_unsure_answers_only_opens_for_order_unsure(tmp_path):
    session = _session(tmp_path)
    _run(session, ["n", "\r", "q"])
    again = Session(session_articles(tmp_path / "labels"), order="unsure")
    assert again.current == (0, 0)
    assert terminal.labelled_total(tmp_path / "labels") == 0


def test_import_keeps_who_answered_unchanged_rows_and_reads_an_article_without_labels(tmp_path):
    import json as json_module

    from triage.labelling.exchange import import_labels

    session = _session(tmp_path)
    _run(session, ["1", "2", "q"])
    labels = tmp_path / "labels"
    (labels / "two.txt").write_text("echo\nfoxtrot\n", encoding="utf-8")  # a text, no label file yet
    records = [
        {"text": "alpha", "label": ["attack"], "article": "one", "index": 0},
        {"text": "bravo", "label": ["boilerplate"], "article": "one", "index": 1},
        {"text": "echo", "label": ["attack"], "article": "two", "index": 0},
    ]
    export = tmp_path / "review.jsonl"
    export.write_text("".join(json_module.dumps(r) + "\n" for r in records), encoding="utf-8")
    import_labels(export, labels)
    one, two = sorted(load_labels(labels), key=lambda a: a.name)
    assert one.labels == {0: "attack", 1: "boilerplate"} and two.labels == {0: "attack"}
    assert one.answers[0].annotator == "ann"  # unchanged: who answered stays
    assert 1 not in one.answers  # changed by the import: no longer that annotator's answer
