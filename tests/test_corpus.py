"""Corpus input and output: JSON Lines, CSV, Parquet, HTML; streaming, --jobs, --strict, Dask."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from triage.cli.app import app

from triage.html import html_to_text
from triage.persist import load_model_file
from triage.text import read_text, split_paragraphs

from conftest import REPO, SEED_NAMES

SEEDS = [read_text(REPO / "seeds" / f"{name}.txt") for name in SEED_NAMES]


def run(*args, input=None):
    """``triage ARGS`` in this process (the CLI tests cover the console script itself)."""
    result = CliRunner().invoke(app, [str(a) for a in args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A JSON Lines corpus of 12 articles (the seeds, repeated) with ids."""
    path = tmp_path / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(12):
            handle.write(json.dumps({"id": f"doc{i}", "text": SEEDS[i % len(SEEDS)], "extra": i}) + "\n")
    return path


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_corpus_gives_each_articles_paragraphs_with_its_id(corpus, model_path):
    result = run("classify", corpus, "--model", model_path, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = _jsonl(result.stdout)
    assert sorted({r["source"] for r in rows}) == sorted(f"doc{i}" for i in range(12))
    model = load_model_file(model_path)
    expected = model.classify(SEEDS[3])
    got = [r for r in rows if r["source"] == "doc3"]
    assert [(r["index"], r["label"], r["text"]) for r in got] == [(p.index, p.label, p.text) for p in expected]


def test_csv_and_parquet_corpora_match_jsonl(corpus, model_path, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.read_json(corpus, lines=True)
    frame.to_csv(tmp_path / "corpus.csv", index=False)
    frame.to_parquet(tmp_path / "corpus.parquet")
    reference = run("classify", corpus, "--model", model_path, "--format", "jsonl").stdout
    for name in ("corpus.csv", "corpus.parquet"):
        result = run("classify", tmp_path / name, "--model", model_path, "--format", "jsonl")
        assert result.returncode == 0, result.stderr
        assert result.stdout == reference, name


def test_text_and_id_fields_are_configurable(tmp_path, model_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"key": 7, "body": "Gunmen attacked a bank.\nPolice arrested two men."}) + "\n")
    result = run("classify", path, "--model", model_path, "--text-field", "body", "--id-field", "key", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert [r["source"] for r in _jsonl(result.stdout)] == ["7", "7"]


def test_malformed_records_are_reported_with_line_numbers_and_skipped(corpus, model_path):
    good = corpus.read_text(encoding="utf-8").splitlines()
    lines = good[:2] + ["{not json", json.dumps({"id": "x", "text": 5}), json.dumps({"id": "y"}), "[1, 2]"] + good[2:4]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("classify", corpus, "--model", model_path, "--format", "jsonl")
    assert result.returncode == 0
    assert f"Warning: {corpus} line 3: not valid JSON" in result.stderr
    assert f"Warning: {corpus} line 4: 'text' is int, not text; skipped" in result.stderr
    assert f"Warning: {corpus} line 5: no 'text' field" in result.stderr
    assert f"Warning: {corpus} line 6: not a JSON object" in result.stderr
    assert result.stderr.splitlines()[-1].endswith(", 4 malformed records skipped")
    assert "Traceback" not in result.stderr
    assert [r["source"] for r in _jsonl(result.stdout)].count("doc3") > 0
    assert {r["source"] for r in _jsonl(result.stdout)} == {"doc0", "doc1", "doc2", "doc3"}


def test_strict_stops_at_the_first_bad_record_keeping_what_came_before(corpus, model_path, tmp_path):
    lines = corpus.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "{oops")
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("classify", corpus, "--model", model_path, "--strict", "--chunk-size", "2", "-o", out)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {corpus} line 6: not valid JSON")
    assert errors[0].endswith("stopped there (strict reading); the 5 articles before it are written to " + str(out))
    rows = _jsonl(out.read_text(encoding="utf-8"))
    sources = [r["source"] for r in rows]
    assert list(dict.fromkeys(sources)) == [f"doc{i}" for i in range(5)]  # in order, each once
    paragraphs = sum(len(split_paragraphs(SEEDS[i % 5])) for i in range(5))
    assert len(rows) == paragraphs


def test_small_chunks_and_two_jobs_give_the_same_output(corpus, model_path):
    reference = run("classify", corpus, "--model", model_path, "--format", "csv").stdout
    small = run("classify", corpus, "--model", model_path, "--format", "csv", "--chunk-size", "1")
    assert small.returncode == 0 and small.stdout == reference
    jobs = run("classify", corpus, "--model", model_path, "--format", "csv", "--chunk-size", "2", "--jobs", "2")
    assert jobs.returncode == 0, jobs.stderr
    assert jobs.stdout == reference
    header = next(csv.reader(io.StringIO(reference)))
    assert header[:6] == ["source", "index", "start", "end", "label", "score"]


def test_per_article_writes_one_clean_record_per_article_with_its_fields(corpus, model_path, tmp_path):
    result = run("classify", corpus, "--model", model_path, "--drop", "boilerplate", "--per-article", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    records = _jsonl(result.stdout)
    assert [r["id"] for r in records] == [f"doc{i}" for i in range(12)]
    assert [r["extra"] for r in records] == list(range(12))  # the record's other fields are kept
    assert list(records[0]) == ["id", "extra", "text", "dropped"]
    # Without --per-article the same run gives paragraph rows, as for plain text files.
    rows = _jsonl(run("classify", corpus, "--model", model_path, "--drop", "boilerplate", "--format", "jsonl").stdout)
    assert {"source", "index", "label", "text"} <= set(rows[0]) and len(rows) > len(records)
    summary = result.stderr.splitlines()[-1]
    kept = sum(len(r["text"].splitlines()) for r in records)
    assert summary == (
        f"Note: 12 articles, {kept + sum(r['dropped'] for r in records)} paragraphs, "
        f"{sum(r['dropped'] for r in records)} dropped, 0 malformed records skipped"
    )
    table = run("classify", corpus, "--model", model_path, "--per-article", "--format", "text")
    assert table.returncode == 2 and "--per-article: writes records" in table.stderr
    seed = tmp_path / "seed.txt"
    seed.write_text(SEEDS[1], encoding="utf-8")
    clean = run("classify", seed, "--model", model_path, "--drop", "boilerplate", "--format", "text").stdout
    assert records[1]["text"] + "\n" == clean
    assert records[1]["dropped"] == len(split_paragraphs(SEEDS[1])) - len(clean.splitlines())


def test_parquet_output(corpus, model_path, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "paragraphs.parquet"
    result = run("classify", corpus, "--model", model_path, "-o", out)
    assert result.returncode == 0, result.stderr
    frame = pd.read_parquet(out)
    jsonl = _jsonl(run("classify", corpus, "--model", model_path, "--format", "jsonl").stdout)
    assert len(frame) == len(jsonl)
    assert frame["label"].tolist() == [r["label"] for r in jsonl]
    assert {"score_attack", "score_boilerplate"} <= set(frame.columns)
    to_stdout = run("classify", corpus, "--model", model_path, "--format", "parquet")
    assert to_stdout.returncode == 2 and "--output" in to_stdout.stderr


def test_html_page_becomes_one_paragraph_per_block(tmp_path, model_path):
    page = b"""<html><head><title>Blast hits market</title><style>p {color: red}</style>
    <script>var tracking = "Police arrested";</script></head>
    <body><nav><ul><li><a href="/">Home</a></li><li>World</li></ul></nav>
    <article><h1>Blast hits <em>crowded</em> market</h1>
    <p>A bomb exploded in a market on Sunday,<br>killing <b>nine</b> people.</p>
    <p>Police   sealed off the area.</p></article>
    <!-- a comment --><footer>&copy; 2026 Example News</footer></body></html>"""
    assert html_to_text(page).splitlines() == [
        "Blast hits market",
        "Home",
        "World",
        "Blast hits crowded market",
        "A bomb exploded in a market on Sunday,",
        "killing nine people.",
        "Police sealed off the area.",
        "\u00a9 2026 Example News",
    ]
    path = tmp_path / "page.html"
    path.write_bytes(page)
    result = run("classify", path, "--model", model_path, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = _jsonl(result.stdout)
    # The blocks of the body are the paragraphs; the <title> is the page's, not a block of it.
    assert [row["text"] for row in rows] == html_to_text(page).splitlines()[1:]
    assert "tracking" not in result.stdout


def test_classify_many_and_classify_frame_match_one_article_at_a_time(model_path):
    pd = pytest.importorskip("pandas")
    model = load_model_file(model_path)
    texts = SEEDS + ["", "One line only."]
    one_by_one = [model.classify(t) for t in texts]
    assert list(model.classify_many(iter(texts), batch_size=3)) == one_by_one
    frame = model.classify_frame(pd.DataFrame({"id": range(len(texts)), "text": texts}))
    assert list(frame.columns) == model.frame_columns()
    assert len(frame) == sum(map(len, one_by_one))
    assert frame[frame["id"] == 2]["label"].tolist() == [p.label for p in one_by_one[2]]


@pytest.mark.slow
def test_dask_on_a_local_cluster_equals_the_single_process_result(corpus, model_path, tmp_path):
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    import dask.dataframe as dd

    from triage.dask import classify_dataframe

    frame = pd.read_json(corpus, lines=True)
    frame.to_parquet(tmp_path / "corpus.parquet")
    model = load_model_file(model_path)
    expected = model.classify_frame(frame)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        articles = dd.from_pandas(frame, npartitions=3)
        got = classify_dataframe(articles, model).compute()
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)

        out = tmp_path / "dask.jsonl"
        result = run(
            "classify", tmp_path / "corpus.parquet", "--model", model_path,
            "--engine", "dask", "--scheduler", cluster.scheduler_address, "-o", out,
        )
        assert result.returncode == 0, result.stderr
    local = run("classify", tmp_path / "corpus.parquet", "--model", model_path, "--format", "jsonl").stdout
    assert out.read_text(encoding="utf-8") == local


def test_html_without_a_charset_is_read_as_utf8_and_binary_is_refused(tmp_path, model_path):
    assert html_to_text("<p>Café bombing — Zürich</p>".encode("utf-8")) == "Café bombing — Zürich\n"
    declared = '<meta charset="windows-1252"><p>Caf\xe9</p>'.encode("cp1252")
    assert html_to_text(declared) == "Café\n"
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    result = run("classify", binary, "--model", model_path, "--format", "jsonl")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"Error: {binary}: looks binary (NUL bytes), not an HTML page"


def test_a_folder_gives_its_articles_pages_and_corpora(tmp_path, model_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Gunmen attacked a bank.\n", encoding="utf-8")
    (folder / "b.html").write_bytes(b"<p>Police arrested two men.</p>")
    (folder / "c.jsonl").write_text(json.dumps({"id": "c1", "text": "Share this"}) + "\n", encoding="utf-8")
    (folder / "notes.md").write_text("ignored\n", encoding="utf-8")
    result = run("classify", folder, "--model", model_path, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert [r["source"] for r in _jsonl(result.stdout)] == [str(folder / "a.txt"), str(folder / "b.html"), "c1"]


def test_per_article_id_is_the_id_field_even_when_the_record_has_an_id(tmp_path, model_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "other", "doc": "d1", "text": "Gunmen attacked a bank.", "dropped": 9}) + "\n")
    result = run("classify", path, "--model", model_path, "--per-article", "--id-field", "doc", "--format", "jsonl")
    (record,) = _jsonl(result.stdout)
    assert record["id"] == "d1" and record["dropped"] == 0
