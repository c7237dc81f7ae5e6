from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.cli.app import app

SEED = "000_ca1e9aa6cd9c9465"
runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture
def seed(project):
    return project / "seeds" / f"{SEED}.txt"


@pytest.mark.slow
def test_train_reports_cross_validation_and_saves(project):
    for extra in sorted((project / "labels").glob("*.csv"))[3:]:
        extra.unlink()
    result = run("train", "--model", project / "m.joblib")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Leave-one-article-out cross-validation: 3 articles, 69 paragraphs" in out
    for word in ("precision", "recall", "macro-F1", "accuracy", "confusion matrix", "state_response"):
        assert word in out
    assert f"Saved {project / 'm.joblib'}" in out
    assert (project / "m.joblib").is_file()


def test_train_without_labels_is_one_error_line(tmp_path):
    result = run("train", "--labels", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nothing'}: no such labels folder; give another --labels\n"


def test_train_with_bad_labels_names_file_and_line(project):
    path = project / "labels" / f"{SEED}.csv"
    path.write_text(path.read_text().replace("0,boilerplate,", "0,boilerplat,", 1))
    result = run("train", "--no-eval")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: labels/{SEED}.csv line 2: unknown label 'boilerplat'; expected one of")
    assert not (project / "models" / "triage.joblib").exists()


def test_classify_jsonl_has_every_field(seed, model_path):
    result = run("classify", seed, "--model", model_path, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 22
    text = seed.read_text(encoding="utf-8")
    for i, row in enumerate(rows):
        assert set(row) == {"source", "index", "start", "end", "label", "score", "scores", "text"}
        assert row["source"] == str(seed) and row["index"] == i
        assert " ".join(text[row["start"] : row["end"]].split()) == row["text"]
        assert row["score"] == max(row["scores"].values())
        assert set(row["scores"]) == {"attack", "state_response", "social_context", "boilerplate"}


def test_classify_defaults_to_jsonl_when_piped(seed, model_path):
    result = run("classify", seed, "--model", model_path)
    assert json.loads(result.stdout.splitlines()[0])["index"] == 0


def test_classify_csv_flattens_scores(seed, model_path):
    result = run("classify", seed, "--model", model_path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "source", "index", "start", "end", "label", "score",
        "score_attack", "score_state_response", "score_social_context", "score_boilerplate", "text",
    ]
    assert len(rows) == 22
    assert float(rows[0]["score"]) == max(float(rows[0][f"score_{rows[0]['label']}"]), 0)


def test_classify_text_with_drop_boilerplate_is_the_clean_article(seed, model_path):
    full = run("classify", seed, "--model", model_path, "--format", "jsonl").stdout
    rows = [json.loads(line) for line in full.splitlines()]
    result = run("classify", seed, "--model", model_path, "--format", "text", "--drop", "boilerplate")
    expected = [r["text"] for r in rows if r["label"] != "boilerplate"]
    assert result.stdout.splitlines() == expected
    assert 0 < len(expected) < len(rows)


def _jsonl(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _table_rows(result) -> list[list[str]]:
    """The data lines of a one-source classify table, split into index, label, score and text."""
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.rstrip("\n").splitlines()
    assert header.split() == ["#", "label", "score", "text"]
    return [line.split(None, 3) for line in lines]


def _kept_rows(result, fmt: str) -> list[tuple[int | None, str | None, str]]:
    """(index, label, text) of each paragraph a classify run wrote; text may be cut short in the table."""
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        return [(r["index"], r["label"], r["text"]) for r in _jsonl(result)]
    if fmt == "csv":
        return [(int(r["index"]), r["label"], r["text"]) for r in csv.DictReader(io.StringIO(result.stdout))]
    if fmt == "text":
        return [(None, None, line) for line in result.stdout.splitlines()]
    return [(int(index), label, text.rstrip().removesuffix("…")) for index, label, _, text in _table_rows(result)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text", "table"])
@pytest.mark.parametrize("keep", ["attack", "attack,social_context"])
def test_keep_writes_exactly_the_paragraphs_with_those_labels(seed, model_path, fmt, keep):
    everything = _jsonl(run("classify", seed, "--model", model_path, "--format", "jsonl"))
    wanted = set(keep.split(","))
    expected = [r for r in everything if r["label"] in wanted]
    # The seed has paragraphs of every kept label and others besides: keeping all or none would show.
    assert {r["label"] for r in expected} == wanted and 0 < len(expected) < len(everything)
    rows = _kept_rows(run("classify", seed, "--model", model_path, "--format", fmt, "--keep", keep), fmt)
    assert len(rows) == len(expected)
    for (index, label, text), want in zip(rows, expected):
        if fmt == "table":
            assert text and want["text"].startswith(text)
        else:
            assert text == want["text"]
        if fmt != "text":
            assert (index, label) == (want["index"], want["label"])


def test_table_has_a_row_per_paragraph_with_its_label_and_score(seed, model_path):
    everything = _jsonl(run("classify", seed, "--model", model_path, "--format", "jsonl"))
    rows = _table_rows(run("classify", seed, "--model", model_path, "--format", "table"))
    assert len(rows) == len(everything) == 22
    assert len({r["label"] for r in everything}) == 4
    for (index, label, score, text), want in zip(rows, everything):
        assert (int(index), label, score) == (want["index"], want["label"], f"{want['score']:.2f}")
        shown = text.rstrip().removesuffix("\u2026")
        assert shown and want["text"].startswith(shown)


def test_table_of_several_articles_names_each_row_s_article(project, model_path):
    first, second = sorted((project / "seeds").glob("*.txt"))[:2]
    everything = _jsonl(run("classify", first, second, "--model", model_path, "--format", "jsonl"))
    result = run("classify", first, second, "--model", model_path, "--format", "table")
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.rstrip("\n").splitlines()
    assert header.split() == ["source", "#", "label", "score", "text"]
    assert len(lines) == len(everything)
    for line, want in zip(lines, everything):
        source, index, label, score, _ = line.split(None, 4)
        assert (source, int(index), label, score) == (
            Path(want["source"]).name, want["index"], want["label"], f"{want['score']:.2f}"
        )


def test_unknown_label_is_a_usage_error(seed, model_path):
    result = run("classify", seed, "--model", model_path, "--drop", "boilerplat")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --drop: unknown label 'boilerplat'; expected comma-separated names from "
        "attack, state_response, social_context, boilerplate\n"
    )
    both = run("classify", seed, "--drop", "attack", "--keep", "attack")
    assert both.exit_code == 2 and both.stderr == "Error: --drop and --keep: give one of them, not both\n"


def test_folder_and_stdin_inputs(project, model_path):
    folder = project / "seeds"
    result = run("classify", folder, "--model", model_path, "--format", "jsonl")
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert sorted(set(sources)) == sorted(str(p) for p in folder.glob("*.txt"))
    assert len(sources) == 103
    piped = run("classify", "-", "--model", model_path, "--format", "jsonl", input="Breaking News\nGunmen attacked a bank.\n")
    rows = [json.loads(line) for line in piped.stdout.splitlines()]
    assert [r["source"] for r in rows] == ["-", "-"]


def test_input_errors_are_single_lines(tmp_path, model_path):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "bad.txt").write_bytes(b"abc " + bytes(range(0x80, 0x100)) * 3)
    cases = {
        tmp_path / "missing.txt": f"Error: {tmp_path / 'missing.txt'}: no such file; check the path\n",
        tmp_path / "empty_dir": f"Error: {tmp_path / 'empty_dir'}: folder has no article files (.txt, .text, .html, .htm, .jsonl, .ndjson, .csv, .parquet, .pq); give files or another folder\n",
        tmp_path / "bin.txt": f"Error: {tmp_path / 'bin.txt'}: looks binary (it has NUL bytes); give a plain-text article\n",
        tmp_path / "bad.txt": f"Error: {tmp_path / 'bad.txt'}: is not text in any encoding charset-normalizer recognises; re-save it as UTF-8\n",
    }
    failed = "Note: 0 articles, 0 paragraphs, 0 dropped, 0 malformed records skipped, 1 input failed\n"
    for path, message in cases.items():
        result = run("classify", path, "--model", model_path)
        assert result.exit_code == 1, path
        # A folder with no article is refused before the run; a file that fails ends it with its summary.
        assert result.stderr == (message if path.is_dir() else message + failed)


@pytest.mark.skipif(sys.platform == "win32" or __import__("os").geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path, model_path):
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    result = run("classify", path, "--model", model_path)
    assert result.stderr.splitlines()[0] == f"Error: {path}: permission denied; make the file readable"


def test_one_bad_file_does_not_stop_the_others(seed, tmp_path, model_path):
    result = run("classify", tmp_path / "missing.txt", seed, "--model", model_path, "--format", "text")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 22
    assert result.stderr.startswith("Error: ")


def test_empty_and_blank_articles_give_a_note_and_exit_0(tmp_path, model_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("  \n\t\n")
    for name in ("empty.txt", "blank.txt"):
        result = run("classify", tmp_path / name, "--model", model_path)
        assert result.exit_code == 0
        assert result.stdout == ""
        assert result.stderr == (
            f"Note: {tmp_path / name}: no paragraphs (the article is empty or blank)\n"
            "Note: 1 article, 0 paragraphs, 0 dropped, 0 malformed records skipped\n"
        )


def test_model_errors_are_single_lines(seed, tmp_path, model_path):
    result = run("classify", seed, "--model", tmp_path / "none.joblib")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'none.joblib'}: no such model file; run 'triage train' or give another --model\n"
    corrupt = tmp_path / "corrupt.joblib"
    corrupt.write_bytes(model_path.read_bytes()[:1000])
    result = run("classify", seed, "--model", corrupt)
    assert result.stderr == (
        f"Error: {corrupt}: not a readable model file (truncated or corrupt); run 'triage train' to rebuild it\n"
    )


def test_default_model_is_built_with_a_note(seed, project):
    result = run("classify", seed, "--format", "text")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"Note: no model at {project / 'models' / 'triage.joblib'}: building the default model")
    assert (project / "models" / "triage.joblib").is_file()
    again = run("classify", seed, "--format", "text")
    assert again.stdout == result.stdout
    assert again.stderr == "Note: 1 article, 22 paragraphs, 0 dropped, 0 malformed records skipped\n"


def _console(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "triage", *map(str, args)],
        capture_output=True, text=True, input=stdin,
    )


def test_console_usage_errors_are_one_line():
    result = _console("classify", "--nope")
    assert result.returncode == 2
    assert result.stderr.startswith("Error: No such option: --nope")
    assert result.stderr.endswith(" (see 'triage classify --help')\n")
    assert len(result.stderr.splitlines()) == 1
    result = _console("classify")
    assert result.returncode == 2
    assert result.stderr == "Error: Missing argument 'paths'. (see 'triage classify --help')\n"
    assert len(result.stderr.splitlines()) == 1


def test_help_does_not_import_sklearn_or_pandas():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "triage", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "classify" in result.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "triage" in imported
    assert not imported & {"sklearn", "pandas", "joblib", "numpy", "scipy"}


def _present(reason: str, text: str) -> bool | None:
    """Whether a word, character or cue feature named as a reason occurs in ``text``; None: not checked.

    Names become "xname" and digits "0" before the features see a paragraph, so
    those parts of a feature are not looked for; the rest must be in the text.
    """
    import re

    from triage.features.cues import CUES

    masked = re.sub(r"\d+", "0", text.lower())
    kind, _, feature = reason.partition(" ")
    if kind in ("word", "chars"):
        feature = feature[1:-1]  # the quotes
    if kind == "word":
        words = set(re.findall(r"\b\w\w+\b", masked))
        return all(w in words for w in feature.split() if w != "xname")
    if kind == "chars":
        core = feature.strip()
        return core in masked or core in "xname"
    if kind == "cue":
        name = feature.removesuffix("_density")
        if name in CUES:  # above the mean count: at least one cue word, at the start of a word
            return any(re.search(r"\b" + re.escape(stem).replace(r"\ ", r"\s+"), masked) for stem in CUES[name])
    return None


def test_explain_gives_each_paragraphs_label_and_reasons_present_in_it(seed, model_path):
    from triage.text import read_text, split_paragraphs

    paragraphs = split_paragraphs(read_text(seed))
    classified = _jsonl(run("classify", seed, "--model", model_path, "--format", "jsonl"))
    rows = _jsonl(run("explain", seed, "--model", model_path, "--json", "--top", "20"))
    # Every feature's weight toward each label: the per-class lists, long enough to hold them all.
    classes = _jsonl(run("explain", "--model", model_path, "--json", "--top", "100000"))
    weights = {c["label"]: dict(c["features"]) for c in classes}
    assert len(weights) == 4 and {r["label"] for r in classified} <= set(weights)
    assert [r["index"] for r in rows] == list(range(len(paragraphs))) == [r["index"] for r in classified]
    checked = Counter()
    for row, want in zip(rows, classified):
        assert row["source"] == str(seed)
        assert (row["label"], row["score"], row["text"]) == (want["label"], want["score"], want["text"])
        values = [value for _, value in row["reasons"]]
        assert 0 < len(values) <= 20
        assert all(v > 0 for v in values) and values == sorted(values, reverse=True)
        for name, value in row["reasons"]:
            present = _present(name, row["text"])
            assert present is not False, f"#{row['index']} names {name}, not in {row['text']!r}"
            checked[name.split()[0]] += present is True
            # A reason is the feature's value times its weight toward this paragraph's label, as
            # the class lists give it: a weight toward the label, against it for a "low" feature;
            # a word or character feature's value (TF-IDF) is at most 1.
            weight = weights[row["label"]][name.removeprefix("low ")]
            assert (weight < 0) == name.startswith("low "), (row["index"], name, weight)
            if name.startswith(("word ", "chars ")):
                assert value <= weight + 1e-5, (row["index"], name, value, weight)
    # Word and cue reasons were looked for in the text, not only layout ones.
    assert checked["word"] >= 5 and checked["cue"] >= 20, checked
    # Fewer reasons are the first of the same ones.
    three = _jsonl(run("explain", seed, "--model", model_path, "--json", "--top", "3"))
    assert [r["reasons"] for r in three] == [r["reasons"][:3] for r in rows]
    # classify has no --explain any more: one command explains.
    assert run("classify", seed, "--model", model_path, "--explain").exit_code == 2


def test_explain_text_says_what_its_json_says(seed, model_path):
    import re

    rows = _jsonl(run("explain", seed, "--model", model_path, "--json", "--top", "4"))
    result = run("explain", seed, "--model", model_path, "--top", "4")
    assert result.exit_code == 0, result.stderr
    first, *lines = result.stdout.splitlines()
    assert first == f"== {seed}"
    i = 0
    for row in rows:
        head = re.fullmatch(r"#(\d+) (\w+) (\d\.\d\d)  (.*)", lines[i])
        assert head, lines[i]
        assert (int(head[1]), head[2], head[3]) == (row["index"], row["label"], f"{row['score']:.2f}")
        assert row["text"].startswith(head[4]) and head[4]
        reasons = ", ".join(f"{name} {value:+.2f}" for name, value in row["reasons"])
        assert lines[i + 1] == f"    because: {reasons or '(no single feature stands out)'}"
        i += 2
        if row["first_pass_label"] != row["label"]:
            assert lines[i] == (
                f"    its own features said {row['first_pass_label']}; the neighbouring paragraphs made it {row['label']}"
            )
            i += 1
    assert i == len(lines)


def test_drop_threshold_trades_recall_for_precision(seed, model_path):
    rows = [json.loads(line) for line in run("classify", seed, "--model", model_path, "--format", "jsonl").stdout.splitlines()]

    def kept(threshold: str) -> list[str]:
        result = run("classify", seed, "--model", model_path, "--format", "text", "--drop", "boilerplate", "--drop-threshold", threshold)
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()

    top_is_boilerplate = [r["scores"]["boilerplate"] >= max(r["scores"].values()) for r in rows]
    assert kept("0") == [r["text"] for r, top in zip(rows, top_is_boilerplate) if not top]
    assert kept("1") == [r["text"] for r, top in zip(rows, top_is_boilerplate) if not (top and r["scores"]["boilerplate"] >= 1.0)]
    assert len(kept("0")) < len(kept("1"))
    result = run("classify", seed, "--model", model_path, "--drop-threshold", "0.9")
    assert result.exit_code == 2 and "--drop-threshold: applies to --drop boilerplate" in result.output
