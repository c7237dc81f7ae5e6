"""triage labels check / stats / export / import, and triage explain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.cli.app import app
from triage.labelling.review import check_labels, likely_mislabels
from triage.labelling.files import load_labels

from conftest import SEED_NAMES

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args))


def _csv(project: Path, name: str) -> Path:
    return project / "labels" / f"{name}.csv"


def test_check_passes_clean_labels_and_lists_no_errors(project):
    result = _invoke("labels", "check", "--no-model")
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output and "5 articles" in result.output


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda t: t.replace("boilerplate", "boilerplat", 1), "unknown label 'boilerplat'"),
        (lambda t: t.replace("index,label,text", "idx,label,text"), "header is"),
        (lambda t: t + "999,attack,Not in the article\n", "index 999 is out of range"),
        (lambda t: t + t.splitlines()[1] + "\n", "duplicate index"),
    ],
)
def test_check_reports_broken_files_with_exit_code_1(project, breakage, message):
    path = _csv(project, SEED_NAMES[1])
    path.write_text(breakage(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = _invoke("labels", "check", "--no-model")
    assert result.exit_code == 1
    assert message in result.output
    assert f"labels/{SEED_NAMES[1]}.csv" in result.output


def test_check_finds_identical_texts_with_different_labels(project):
    # Copy an article under a new name and give one of its paragraphs another label.
    name = SEED_NAMES[0]
    shutil.copy(project / "seeds" / f"{name}.txt", project / "labels" / "copy.txt")
    lines = _csv(project, name).read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",", 2)
    other = "attack" if first[1] != "attack" else "state_response"
    lines[1] = ",".join([first[0], other, first[2]])
    (project / "labels" / "copy.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_labels(project / "labels", mislabels=False)
    assert len(report.errors) == 1
    assert "same text, different labels" in report.errors[0]
    assert "labels/copy.csv #0" in report.errors[0]
    result = _invoke("labels", "check", "--no-model")
    assert result.exit_code == 1


def test_likely_mislabels_flags_a_flipped_label_as_a_warning(project):
    # Flip every boilerplate label of one article to attack: short page leftovers
    # labelled attack are what confident learning should point at.
    name = SEED_NAMES[0]
    path = _csv(project, name)
    text = path.read_text(encoding="utf-8")
    flipped = {int(line.split(",", 1)[0]) for line in text.splitlines() if ",boilerplate," in line}
    assert len(flipped) >= 3
    path.write_text(text.replace(",boilerplate,", ",attack,"), encoding="utf-8")
    articles = load_labels(project / "labels")
    found = likely_mislabels(articles, project / "labels", folds=5)
    flagged = {
        int(line.split("#", 1)[1].split(":", 1)[0]): line
        for line in found
        if line.startswith(f"labels/{name}.csv")
    }
    caught = flipped & set(flagged)
    assert len(caught) >= len(flipped) / 2, found
    assert all("labelled attack" in flagged[i] and "looks like boilerplate" in flagged[i] for i in caught)
    result = _invoke("labels", "check", "--folds", "5")
    assert result.exit_code == 0  # warnings only
    assert "warning:" in result.output


def test_stats_counts_per_class_and_per_article(project):
    result = _invoke("labels", "stats", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 5
    articles = load_labels(project / "labels")
    assert sum(r["attack"] for r in rows) == sum(
        1 for a in articles for label in a.labels.values() if label == "attack"
    )
    table = _invoke("labels", "stats")
    assert "total (5 articles)" in table.output


@pytest.mark.parametrize("fmt, suffix", [("doccano", "jsonl"), ("labelstudio", "json")])
def test_export_import_round_trip_is_lossless(project, model_path, tmp_path, fmt, suffix):
    before = {p.name: p.read_bytes() for p in (project / "labels").glob("*.csv")}
    out = tmp_path / f"export.{suffix}"
    result = _invoke("labels", "export", "--format", fmt, "-o", str(out), "--model", str(model_path))
    assert result.exit_code == 0, result.output
    records = (
        [json.loads(line) for line in out.read_text().splitlines()]
        if fmt == "doccano"
        else json.loads(out.read_text())
    )
    first = records[0]
    if fmt == "doccano":
        assert set(first) >= {"text", "label", "article", "index", "prediction", "score"}
    else:
        assert first["data"].keys() >= {"text", "article", "index"}
        assert first["predictions"][0]["result"][0]["value"]["choices"][0] in {
            "attack", "state_response", "social_context", "boilerplate"
        }

    # Into the same folder: nothing changes.
    result = _invoke("labels", "import", str(out))
    assert result.exit_code == 0, result.output
    assert "0 labels added, 0 changed, 0 removed" in result.output
    assert {p.name: p.read_bytes() for p in (project / "labels").glob("*.csv")} == before

    # Into an empty folder: the articles and labels are recreated and load the same.
    fresh = tmp_path / "fresh"
    result = _invoke("labels", "import", str(out), "--labels", str(fresh))
    assert result.exit_code == 0, result.output
    old = {a.name: ([p.text for p in a.paragraphs], a.labels) for a in load_labels(project / "labels")}
    new = {a.name: ([p.text for p in a.paragraphs], a.labels) for a in load_labels(fresh)}
    assert new == old


def test_import_applies_reviewed_labels(project, tmp_path):
    out = tmp_path / "review.jsonl"
    assert _invoke("labels", "export", "--format", "doccano", "-o", str(out), "--no-predictions").exit_code == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    target = next(r for r in records if r["label"] == ["boilerplate"])
    target["label"] = ["social_context"]
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = _invoke("labels", "import", str(out))
    assert result.exit_code == 0
    assert "1 changed" in result.output
    article = next(a for a in load_labels(project / "labels") if a.name == target["article"])
    assert article.labels[target["index"]] == "social_context"


def test_import_of_a_bad_file_changes_nothing(project, tmp_path):
    before = {p.name: p.read_bytes() for p in (project / "labels").glob("*.csv")}
    out = tmp_path / "review.jsonl"
    _invoke("labels", "export", "--format", "doccano", "-o", str(out), "--no-predictions")
    lines = out.read_text().splitlines()
    changed = json.loads(lines[0])
    changed["label"] = ["attack"]
    broken = json.loads(lines[-1])
    broken["label"] = ["riot"]
    out.write_text("\n".join([json.dumps(changed), *lines[1:-1], json.dumps(broken)]) + "\n")
    result = _invoke("labels", "import", str(out))
    assert result.exit_code == 1
    assert f"record {len(lines)}: unknown label 'riot'" in result.output
    assert {p.name: p.read_bytes() for p in (project / "labels").glob("*.csv")} == before


def test_explain_lists_features_per_class_and_per_paragraph(project, model_path):
    result = _invoke("explain", "--model", str(model_path), "--top", "5")
    assert result.exit_code == 0, result.output
    for label in ("attack", "state_response", "social_context", "boilerplate"):
        assert f"{label}:" in result.output
    weights = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(weights) == 20

    article = project / "seeds" / f"{SEED_NAMES[0]}.txt"
    result = _invoke("explain", str(article), "--model", str(model_path), "--top", "3")
    assert result.exit_code == 0, result.output
    paragraphs = [line for line in result.output.splitlines() if line.startswith("#")]
    from triage.text import read_text, split_paragraphs

    assert len(paragraphs) == len(split_paragraphs(read_text(article)))
    assert "because:" in result.output
