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
    assert all("labelled attack" in flagged[i] for i in caught)
    # Most as leftovers; a full sentence of the outlet's blurb may read as story.
    assert sum("looks like boilerplate" in flagged[i] for i in caught) >= len(flipped) / 2, found
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


def _class_features(output: str) -> dict[str, list[tuple[str, float]]]:
    """``triage explain`` without paths, read back: each label's (feature, weight) lines."""
    import re

    out: dict[str, list[tuple[str, float]]] = {}
    label = None
    for line in output.splitlines():
        if line.startswith("  "):
            assert label is not None, line
            weight, name = re.fullmatch(r" +([+-]\d+\.\d{3})  (\S.*)", line).groups()
            out[label].append((name, float(weight)))
        else:
            label = line.removesuffix(":")
            assert line.endswith(":") and label not in out, line
            out[label] = []
    return out


def test_explain_lists_each_class_strongest_features_as_text_and_json(model_path):
    from triage.persist import load_model_file

    result = _invoke("explain", "--model", str(model_path), "--top", "5")
    assert result.exit_code == 0, result.output
    text = _class_features(result.stdout)
    labels = [str(c) for c in load_model_file(model_path).pipeline.classes_]
    assert list(text) == labels == ["attack", "boilerplate", "social_context", "state_response"]
    kinds = ("word ", "chars ", "cue ", "layout ")
    for label, features in text.items():
        assert len(features) == 5 and len({name for name, _ in features}) == 5
        weights = [w for _, w in features]
        # The strongest pushes toward the label first: all toward it (positive).
        assert all(w > 0 for w in weights) and weights == sorted(weights, reverse=True), (label, weights)
        assert all(name.startswith(kinds) for name, _ in features)
    # Each class has features of its own: the lists are not one list repeated.
    assert len({tuple(features) for features in text.values()}) == len(labels)

    as_json = _invoke("explain", "--model", str(model_path), "--top", "5", "--json")
    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [row["label"] for row in rows] == labels
    for row in rows:
        assert [name for name, _ in row["features"]] == [name for name, _ in text[row["label"]]]
        assert [round(w, 3) for _, w in row["features"]] == [w for _, w in text[row["label"]]]
    # A shorter list is the start of the longer one.
    fewer = _class_features(_invoke("explain", "--model", str(model_path), "--top", "2").stdout)
    assert fewer == {label: features[:2] for label, features in text.items()}
