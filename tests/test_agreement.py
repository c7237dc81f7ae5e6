"""triage labels agree: two analysts' labels of the same articles, compared."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.labelling.agreement import compare_labels, list_disagreements
from triage.cli.app import app
from triage.labelling.files import find_article
from triage.text import read_text, split_paragraphs

from conftest import SEED_NAMES, make_project

runner = CliRunner()
S0, S1, S2, S3, S4 = SEED_NAMES[:5]
ORDER = ["attack", "state_response", "social_context", "boilerplate"]

# Folder A ("alice") and folder B ("bob") label S0-S2 alike but for two paragraphs:
# S0 #1 (attack / state_response) and S1 #0 (social_context / boilerplate).
ALICE = {
    S0: {0: "attack", 1: "attack", 2: "state_response", 3: "social_context", 4: "boilerplate", 5: "boilerplate",
         6: "attack", 7: "social_context"},
    S1: {0: "social_context", 1: "boilerplate"},
    S2: {0: "boilerplate", 1: "boilerplate"},
    S4: {0: "boilerplate", 1: "boilerplate"},
}
BOB = {
    S0: {0: "attack", 1: "state_response", 2: "state_response", 3: "social_context", 4: "boilerplate",
         5: "boilerplate", 7: "unsure", 8: "boilerplate"},
    S1: {0: "boilerplate", 1: "boilerplate"},
    S2: {0: "boilerplate", 1: "boilerplate"},
    S4: {0: "attack", 1: "attack"},  # never compared: bob's copy of S4 has another text
}


def _write(folder: Path, name: str, labels: dict[int, str]) -> None:
    """A label file for the article ``name``, ``unsure`` rows allowed (the library writer refuses them)."""
    path = folder / f"{name}.csv"
    paragraphs = split_paragraphs(read_text(find_article(path, folder)))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["index", "label", "text"])
        for index in sorted(labels):
            writer.writerow([index, labels[index], paragraphs[index].text])


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    """alice: S0-S4 (S3 hers alone); bob: S0-S2, S4 with one paragraph changed, and an article of his own."""
    alice = make_project(tmp_path / "a", seeds=[S0, S1, S2, S3, S4]) / "labels"
    bob = make_project(tmp_path / "b", seeds=[S0, S1, S2, S4]) / "labels"
    alice, bob = alice.rename(alice.parent / "alice"), bob.rename(bob.parent / "bob")
    s4 = bob.parent / "seeds" / f"{S4}.txt"
    text = read_text(s4)
    assert "By Joanna Lillis" in text
    s4.write_text(text.replace("By Joanna Lillis", "By J. Lillis"), encoding="utf-8")
    shutil.copy(tmp_path / "a" / "seeds" / f"{S3}.txt", bob / "bob_only.txt")
    for folder, labels in ((alice, ALICE), (bob, {**BOB, "bob_only": {0: "attack"}})):
        for name, rows in labels.items():
            _write(folder, name, rows)
    return alice, bob


def _paragraph(folder: Path, name: str, index: int) -> str:
    return split_paragraphs(read_text(folder.parent / "seeds" / f"{name}.txt"))[index].text


def _kappa_by_hand(matrix: list[list[int]]) -> float:
    """Cohen's kappa from a confusion matrix: (observed - chance) / (1 - chance)."""
    n = sum(map(sum, matrix))
    observed = sum(matrix[i][i] for i in range(len(matrix))) / n
    rows = [sum(row) for row in matrix]
    columns = [sum(row[j] for row in matrix) for j in range(len(matrix))]
    chance = sum(r * c for r, c in zip(rows, columns)) / n**2
    return (observed - chance) / (1 - chance)


# Rows alice, columns bob, in the order of LABELS: the ten paragraphs of S0-S2 labelled by both.
EXPECTED_CONFUSION = [
    [1, 1, 0, 0],  # attack: S0 #0 agreed, S0 #1 state_response for bob
    [0, 1, 0, 0],  # state_response: S0 #2
    [0, 0, 1, 1],  # social_context: S0 #3 agreed, S1 #0 boilerplate for bob
    [0, 0, 0, 5],  # boilerplate: S0 #4, #5, S1 #1, S2 #0, #1
]


def test_kappa_by_hand_is_the_textbook_figure():
    # observed 8/10; chance (2*1 + 1*2 + 2*1 + 5*6) / 100 = 0.36; (0.8 - 0.36) / 0.64
    assert _kappa_by_hand(EXPECTED_CONFUSION) == pytest.approx(0.6875)


def test_compare_counts_agreement_kappa_and_confusion(folders):
    alice, bob = folders
    result = compare_labels(alice, bob)
    assert len(result.articles) == 3
    assert result.paragraphs == 10 and result.agreed == 8
    assert result.agreement == pytest.approx(0.8)
    assert result.labels == tuple(ORDER)
    assert [list(row) for row in result.confusion] == EXPECTED_CONFUSION
    assert result.kappa == pytest.approx(_kappa_by_hand(EXPECTED_CONFUSION))


def test_per_article_figures_and_undefined_kappa(folders):
    result = compare_labels(*folders)
    by_name = {a.article: a for a in result.articles}
    assert list(by_name) == [S0, S1, S2]
    s0, s1, s2 = by_name[S0], by_name[S1], by_name[S2]
    assert (s0.paragraphs, s0.agreed) == (6, 5)
    assert s0.kappa == pytest.approx(_kappa_by_hand([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 2]]))
    assert s0.kappa == pytest.approx(7 / 9)
    # One agreement out of two, alice's labels split, bob's all boilerplate: kappa is 0.
    assert (s1.paragraphs, s1.agreed, s1.agreement) == (2, 1, 0.5)
    assert s1.kappa == pytest.approx(0.0)
    # Both give both paragraphs the same label: chance agreement is 1, kappa undefined.
    assert (s2.paragraphs, s2.agreed, s2.agreement, s2.kappa) == (2, 2, 1.0, None)


def test_disagreements_are_listed_with_the_article_path(folders):
    alice, bob = folders
    found = list_disagreements(alice, bob)
    assert [(d.article, d.index, d.label_a, d.label_b) for d in found] == [
        (S0, 1, "attack", "state_response"),
        (S1, 0, "social_context", "boilerplate"),
    ]
    assert found[0].text == _paragraph(alice, S0, 1)
    assert found[0].path == alice.parent / "seeds" / f"{S0}.txt"
    assert (found[0].label_path_a, found[0].label_path_b) == (alice / f"{S0}.csv", bob / f"{S0}.csv")
    assert list(compare_labels(alice, bob).disagreements) == found


def test_what_is_not_compared_is_reported(folders):
    result = compare_labels(*folders)
    assert result.only_in_a == (S3,)
    assert result.only_in_b == ("bob_only",)
    # S4's text differs: reported, and none of its four disagreeing labels counted.
    assert [n.article for n in result.not_comparable] == [S4]
    assert "paragraph 2" in result.not_comparable[0].reason
    assert S4 not in {a.article for a in result.articles} | {d.article for d in result.disagreements}
    # unsure counts as not labelled: S0 #7 is alice's alone, and bob's unsure is counted apart.
    assert [(o.article, o.index, o.side, o.label) for o in result.one_sided] == [
        (S0, 6, "a", "attack"), (S0, 7, "a", "social_context"), (S0, 8, "b", "boilerplate"),
    ]
    assert [(u.article, u.index, u.side) for u in result.unsure] == [(S0, 7, "b")]
    assert (result.unsure_count("a"), result.unsure_count("b")) == (0, 1)


def test_a_paragraph_unsure_on_both_sides_is_not_one_sided(folders):
    alice, bob = folders
    _write(alice, S0, {**ALICE[S0], 7: "unsure"})
    result = compare_labels(alice, bob)
    assert (S0, 7) not in {(o.article, o.index) for o in result.one_sided}
    assert (result.unsure_count("a"), result.unsure_count("b"), result.paragraphs) == (1, 1, 10)


def test_cli_prints_summary_table_matrix_and_disagreements(folders):
    alice, bob = folders
    result = runner.invoke(app, ["labels", "agree", str(alice), str(bob)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "alice (A) and bob (B): 3 articles compared, 10 paragraphs labelled in both" in out
    assert "agreement 80.0% (8 of 10), Cohen's kappa 0.688" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(tuple(SEED_NAMES))}
    assert rows[S0] == ["6", "83.3%", "0.778"]
    assert rows[S1] == ["2", "50.0%", "0.000"]
    assert rows[S2] == ["2", "100.0%", "undefined"]
    assert "nan" not in out
    lines = out.splitlines()
    header = lines.index("confusion matrix: rows alice (A), columns bob (B)")
    assert lines[header + 1].split() == ["alice", "\\", "bob", *ORDER]
    assert [[int(n) for n in line.split()[1:]] for line in lines[header + 2 : header + 6]] == EXPECTED_CONFUSION
    assert f"{S0} #1: alice attack, bob state_response: " in out
    assert f"{S1} #0: alice social_context, bob boilerplate: " in out
    assert f"only in alice: 1 articles ({S3})" in out
    assert f"not comparable: {S4}" in out
    assert "labelled in one folder only: 3 paragraphs (alice 2, bob 1)" in out
    assert "labelled unsure: alice 0, bob 1 paragraphs" in out


def test_cli_show_limits_the_disagreements_and_shortens_text(folders):
    alice, bob = folders
    result = runner.invoke(app, ["labels", "agree", str(alice), str(bob), "--show", "1"])
    assert result.exit_code == 0, result.output
    listed = [line for line in result.stdout.splitlines() if " #" in line and ": alice " in line]
    assert len(listed) == 1 and listed[0].startswith(f"  {S0} #1:")
    assert len(listed[0].split("bob state_response: ", 1)[1]) <= 72  # 70 characters and the quotes
    assert "... and 1 more" in result.stdout


def test_cli_json_holds_everything(folders):
    alice, bob = folders
    result = runner.invoke(app, ["labels", "agree", str(alice), str(bob), "--json", "--show", "0"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["articles"], figures["paragraphs"], figures["agreed"]) == (3, 10, 8)
    assert figures["kappa"] == pytest.approx(0.6875)
    assert figures["confusion"]["labels"] == ORDER
    assert figures["confusion"]["matrix"] == EXPECTED_CONFUSION
    assert [(a["article"], a["kappa"]) for a in figures["per_article"]][2] == (S2, None)
    assert [(d["article"], d["index"], d["label_a"], d["label_b"]) for d in figures["disagreements"]] == [
        (S0, 1, "attack", "state_response"), (S1, 0, "social_context", "boilerplate"),
    ]
    assert figures["disagreements"][0]["path"] == str(alice.parent / "seeds" / f"{S0}.txt")
    assert (figures["only_in_a"], figures["only_in_b"]) == ([S3], ["bob_only"])
    assert [n["article"] for n in figures["not_comparable"]] == [S4]
    assert len(figures["one_sided"]) == 3
    assert (figures["unsure"]["a"], figures["unsure"]["b"]) == (0, 1)


def _only_error(result) -> str:
    """The one line the command printed: an ``Error: ...`` on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_errors_for_missing_folder_file_and_empty_folder(folders, tmp_path):
    alice, _ = folders
    missing = tmp_path / "nowhere"
    line = _only_error(runner.invoke(app, ["labels", "agree", str(alice), str(missing)]))
    assert line == f"Error: {missing}: no such folder; give two labels folders of the same articles"
    a_file = alice / f"{S0}.csv"
    line = _only_error(runner.invoke(app, ["labels", "agree", str(a_file), str(alice)]))
    assert line == f"Error: {a_file}: is not a folder; give a labels folder of <article>.csv files"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no labels here\n", encoding="utf-8")
    line = _only_error(runner.invoke(app, ["labels", "agree", str(alice), str(empty)]))
    assert line.startswith(f"Error: {empty}: has no label files (*.csv)")


def test_error_when_no_article_is_in_common(folders, tmp_path):
    alice, _ = folders
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(tmp_path / "a" / "seeds" / f"{S0}.txt", other / "renamed.txt")
    _write(other, "renamed", {0: "attack"})
    line = _only_error(runner.invoke(app, ["labels", "agree", str(alice), str(other)]))
    assert line.startswith(f"Error: {alice} and {other}: no article in common")


def test_error_when_nothing_can_be_compared(folders, tmp_path):
    alice, bob = folders
    only_s4 = tmp_path / "only_s4"
    only_s4.mkdir()
    shutil.copy(bob / f"{S4}.csv", only_s4)
    shutil.copy(bob.parent / "seeds" / f"{S4}.txt", only_s4)
    line = _only_error(runner.invoke(app, ["labels", "agree", str(alice), str(only_s4)]))
    assert f"the 1 articles in common differ in text ({S4})" in line
    _write(bob, S2, {5: "attack"})
    for name in (S0, S1, S4):
        (bob / f"{name}.csv").unlink()
    line = _only_error(runner.invoke(app, ["labels", "agree", str(alice), str(bob)]))
    assert "no paragraph is labelled in both folders" in line


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda t: t.replace(",boilerplate,", ",boilerplat,", 1), "line 2: unknown label 'boilerplat'"),
        (lambda t: t.replace("index,label,text", "index,label"), "line 1: header is"),
        (lambda t: t + "999,attack,Not in the article\n", "line 4: index 999 is out of range"),
    ],
)
def test_a_broken_label_file_is_named_with_its_line(folders, breakage, message):
    alice, bob = folders
    path = bob / f"{S2}.csv"
    path.write_text(breakage(path.read_text(encoding="utf-8")), encoding="utf-8")
    line = _only_error(runner.invoke(app, ["labels", "agree", str(alice), str(bob)]))
    assert line.startswith(f"Error: bob/{S2}.csv {message}")
