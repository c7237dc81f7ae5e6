from __future__ import annotations

import csv
import json
import math
import os
import sys
import types
from pathlib import Path

import pytest

from triage.evaluation.baselines import keep_all, keep_min_words
from triage.evaluation.aeb import (
    Page,
    body_scores,
    line_scores,
    load_benchmark,
    shingle_fractions,
)
from triage.evaluation.baselines import justext_keep
from triage.errors import ArgumentError, InputError, MissingExtra

REPO = Path(__file__).resolve().parents[1]
AEB = Path(os.environ.get("TRIAGE_AEB") or REPO.parent / "shared" / "benchmarks" / "aeb")

PROSE = (
    "The council said on Tuesday that it would not be able to reopen the bridge before "
    "the end of the month, because the engineers who had been asked to look at it were "
    "still waiting for the results of the tests that they had carried out in the spring."
)

# Two small pages whose scores are worked out by hand in the tests below.
PAGES = [
    Page(
        id="a",
        lines=["one two three four five", "menu"],
        content=[True, False],
        body="one two three four five",
    ),
    Page(id="b", lines=["alpha beta", "gamma"], content=[True, False], body="alpha beta"),
]


def oracle(pages):
    return [list(page.content) for page in pages]


def keep_nothing(pages):
    return [[False] * len(page.lines) for page in pages]


# --- line level ---


def test_keeping_the_gold_lines_scores_one():
    scores = line_scores(PAGES, oracle(PAGES))
    assert scores == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "macro_f1": 1.0, "kept_lines": 2}


def test_line_scores_by_hand():
    # Page a: TP 1, FP 1 -> F1 2/3. Page b: FP 1, FN 1 -> F1 0. Pooled: TP 1, FP 2, FN 1.
    scores = line_scores(PAGES, [[True, True], [False, True]])
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 2)
    assert scores["f1"] == pytest.approx(0.4)
    assert scores["macro_f1"] == pytest.approx(1 / 3)
    assert scores["kept_lines"] == 3


def test_keeping_nothing_scores_zero_on_lines():
    scores = line_scores(PAGES, keep_nothing(PAGES))
    assert scores == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "macro_f1": 0.0, "kept_lines": 0}


def test_a_page_without_content_that_keeps_nothing_has_f1_one():
    page = Page(id="c", lines=["Home"], content=[False], body="")
    assert line_scores([page], [[False]])["macro_f1"] == 1.0


@pytest.mark.parametrize("score", [line_scores, body_scores])
def test_kept_must_fit_the_pages(score):
    with pytest.raises(InputError, match=r"^kept: 1 lists for 2 pages; give one list"):
        score(PAGES, [[True, False]])
    with pytest.raises(InputError, match=r"^kept for page b: 1 decisions for 2 lines"):
        score(PAGES, [[True, False], [True]])
    with pytest.raises(InputError, match=r"^pages: none given"):
        score([], [])


# --- body level ---


def test_shingles_are_counted_as_multisets_and_scaled_to_one():
    # Shingles abcd, bcde against abcd, bcdx: one shared, one extra, one missing.
    assert shingle_fractions("a b c d e", "a b c d x") == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    # The gold has xyzw twice among its 5 shingles; the prediction has it once.
    assert shingle_fractions("x y z w x y z w", "x, y. z w") == pytest.approx((0.2, 0.0, 0.8))
    # Fewer than four tokens make one short shingle; case is kept.
    assert shingle_fractions("Alpha beta", "Alpha beta") == (1.0, 0.0, 0.0)
    assert shingle_fractions("Alpha beta", "alpha beta") == (0.0, 0.5, 0.5)
    assert shingle_fractions("", "!!") == (0.0, 0.0, 0.0)
    # Single tokens: a b c d shared, x extra, e missing.
    assert shingle_fractions("a b c d e", "a b c d x", size=1) == pytest.approx((4 / 6, 1 / 6, 1 / 6))


def test_body_scores_by_hand():
    # Page a keeps "one two three four five\nmenu": shingles 1234, 2345 match, 345menu is
    # extra -> (2/3, 1/3, 0), P 2/3, R 1. Page b keeps "gamma" against "alpha beta": two
    # short shingles that differ -> (0, 1/2, 1/2), P 0, R 0. Each page weighs the same.
    scores = body_scores(PAGES, [[True, True], [False, True]], bootstrap=0)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 2)
    assert scores["f1"] == pytest.approx(0.4)
    # Single tokens: page a TP 5, FP 1 (P 5/6, R 1); page b TP 0 (P 0, R 0).
    assert scores["bow_f1"] == pytest.approx(2 * (5 / 12) * (1 / 2) / (5 / 12 + 1 / 2))


def test_keeping_the_gold_lines_scores_one_on_the_body():
    scores = body_scores(PAGES, oracle(PAGES), bootstrap=50)
    assert scores["precision"] == scores["recall"] == scores["f1"] == scores["bow_f1"] == 1.0
    assert scores["f1_std"] == 0.0


def test_keeping_nothing_has_no_recall():
    scores = body_scores(PAGES, keep_nothing(PAGES), bootstrap=0)
    assert scores["recall"] == 0.0
    assert scores["precision"] == 0.0  # no page kept text: a mean over nothing is 0
    assert scores["f1"] == 0.0


def test_precision_counts_only_pages_that_kept_text_and_recall_only_pages_with_a_body():
    pages = PAGES + [Page(id="c", lines=["Home", "Share"], content=[False, False], body="")]
    # Page a keeps its body, page b keeps nothing, page c keeps "Share" against no body.
    scores = body_scores(pages, [[True, False], [False, False], [False, True]], bootstrap=0)
    assert scores["precision"] == pytest.approx(0.5)  # pages a (1) and c (0)
    assert scores["recall"] == pytest.approx(0.5)  # pages a (1) and b (0)


def test_bootstrap_is_seeded():
    kept = [[True, True], [False, True]]
    first = body_scores(PAGES, kept, bootstrap=200, seed=3)
    assert first == body_scores(PAGES, kept, bootstrap=200, seed=3)
    assert first["f1_std"] > 0
    assert math.isnan(body_scores(PAGES, kept, bootstrap=1)["f1_std"])  # no spread from one resample
    with pytest.raises(InputError, match=r"^bootstrap: -1 resamples; give 0 or more"):
        body_scores(PAGES, kept, bootstrap=-1)


# --- baselines ---


def test_simple_baselines():
    lines = ["Home", "one two three four five six seven eight nine ten", "a b c"]
    assert keep_all(lines) == [True, True, True]
    assert keep_min_words(lines) == [False, True, False]
    assert keep_min_words(lines, min_words=3) == [False, True, True]


def test_justext_keeps_prose_and_drops_navigation():
    pytest.importorskip("justext")
    lines = ["Home", "Share this article", "", "\u200b", PROSE, "Home", "Share this article"]
    kept = justext_keep(lines)
    assert len(kept) == len(lines)
    assert kept == [False, False, False, False, True, False, False]
    assert justext_keep([]) == []
    assert justext_keep(["", "  "]) == [False, False]


def test_justext_unknown_language():
    pytest.importorskip("justext")
    with pytest.raises(ArgumentError, match=r"^`language`: jusText has no stoplist 'Klingon'; choose one of"):
        justext_keep(["Home"], language="Klingon")


def test_justext_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "justext", None)
    with pytest.raises(MissingExtra, match=r"^the jusText baseline needs .* pip install 'triage\[eval\]'$") as caught:
        justext_keep(["Home"])
    assert (caught.value.feature, caught.value.extra) == ("the jusText baseline", "eval")


def fake_justext(monkeypatch, paragraphs: list[tuple[str, bool]]) -> None:
    """Stand in for jusText, returning the given (text, is_boilerplate) paragraphs."""
    module = types.ModuleType("justext")
    module.get_stoplist = lambda language: frozenset()
    module.justext = lambda html, stoplist: [
        types.SimpleNamespace(text=text, is_boilerplate=boilerplate) for text, boilerplate in paragraphs
    ]
    monkeypatch.setitem(sys.modules, "justext", module)


def test_justext_paragraphs_are_matched_to_lines_by_text(monkeypatch):
    # A dropped line is skipped, not shifted onto the next paragraph.
    fake_justext(monkeypatch, [("one", False), ("three  ", False)])
    assert justext_keep(["one", "two", "three"]) == [True, False, True]


def test_justext_altered_paragraphs_fall_back_to_position(monkeypatch):
    fake_justext(monkeypatch, [("one", True), ("TWO?", False), ("three", True)])
    assert justext_keep(["one", "two", "three"]) == [False, True, False]


# --- loading ---


def write_benchmark(root: Path, pages: dict[str, list[tuple[str, str]]], bodies=None) -> Path:
    """A benchmark folder: ``pages`` maps an id to its (label, line) pairs."""
    (root / "pages").mkdir(parents=True)
    with (root / "gold.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["page", "index", "label", "text"])
        for page_id, rows in pages.items():
            for index, (label, line) in enumerate(rows):
                writer.writerow([page_id, index, label, line])
            text = "".join(line + "\n" for _, line in rows)
            (root / "pages" / f"{page_id}.txt").write_bytes(text.encode("utf-8"))
    if bodies is None:
        bodies = {page_id: {"articleBody": f"body of {page_id}", "url": "u"} for page_id in pages}
    (root / "ground-truth.json").write_text(json.dumps(bodies), encoding="utf-8")
    return root


TINY = {
    "b2": [("boilerplate", "Home"), ("content", "It rained all day, the paper said.")],
    "a1": [
        ("boilerplate", "\ufeff"),  # invisible: still a line
        ("content", "A line with a\u2028line separator is one line"),
        ("boilerplate", "\u200b"),
    ],
}


def test_load_benchmark(tmp_path):
    pages = load_benchmark(write_benchmark(tmp_path / "aeb", TINY))
    assert [page.id for page in pages] == ["a1", "b2"]
    assert pages[0].lines == [line for _, line in TINY["a1"]]
    assert pages[0].content == [False, True, False]
    assert pages[1].body == "body of b2"


def test_load_benchmark_errors(tmp_path):
    with pytest.raises(InputError, match=r"nowhere: no such folder; pass the folder from"):
        load_benchmark(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: not the AEB benchmark folder \(no gold.csv\); pass"):
        load_benchmark(tmp_path / "empty")


GOLD_HEAD = "page,index,label,text\n"


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("ground-truth.json", None, r"not the AEB benchmark folder \(no ground-truth.json\)"),
        ("ground-truth.json", "{", r"ground-truth.json: is not valid UTF-8 JSON"),
        ("ground-truth.json", '{"a1": {}, "b2": {}}', r"page a1 has no articleBody string"),
        (
            "ground-truth.json",
            '{"b2": {"articleBody": ""}}',
            r"1 page\(s\) of gold.csv are not in ground-truth.json \(first a1\)",
        ),
        (
            "ground-truth.json",
            '{"a1": {"articleBody": ""}, "b2": {"articleBody": ""}, "c3": {"articleBody": ""}}',
            r"1 page\(s\) of ground-truth.json have no rows in gold.csv \(first c3\)",
        ),
        ("gold.csv", "id,label\n", r"gold.csv: header is \['id', 'label'\], expected page,index,label,text"),
        ("gold.csv", GOLD_HEAD, r"gold.csv has no rows"),
        ("gold.csv", GOLD_HEAD + "a1,0,junk,Home\n", r"gold.csv line 2: unknown label 'junk', expected content or boilerplate"),
        ("gold.csv", GOLD_HEAD + "a1,x,content,Home\n", r"gold.csv line 2: index 'x' is not a whole number"),
        ("gold.csv", GOLD_HEAD + "a1,0,content\n", r"gold.csv line 2: 3 fields, expected 4"),
        ("gold.csv", GOLD_HEAD + "a1,0,content,A\na1,0,content,A\n", r"gold.csv line 3: page a1 has index 0 twice"),
        ("gold.csv", b"page,index,label,text\na1,0,content,\xff\n", r"gold.csv: is not UTF-8"),
        ("pages/a1.txt", None, r"a1.txt: no such file, but gold.csv lists the page"),
        ("pages/b2.txt", "Home\n", r"b2.txt: has 1 lines but gold.csv has 2 rows numbered 0 to 1"),
        ("pages/b2.txt", "Home\nIt rained.\n", r"b2.txt line 2: differs from gold.csv index 1"),
        ("pages/b2.txt", b"Home\n\xff\n", r"b2.txt: is not UTF-8"),
    ],
    ids=[
        "no-ground-truth", "bad-json", "no-body", "page-without-body", "body-without-rows",
        "bad-header", "no-rows", "bad-label", "bad-index", "short-row", "index-twice",
        "gold-not-utf8", "no-page-file", "line-count", "line-text", "page-not-utf8",
    ],
)
def test_load_benchmark_rejects_a_broken_folder(tmp_path, file, text, message):
    root = write_benchmark(tmp_path / "aeb", TINY)
    if text is None:
        (root / file).unlink()
    else:
        (root / file).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(InputError, match=message + "; pass the folder from shared/benchmarks/aeb$"):
        load_benchmark(root)


# --- the real benchmark ---


@pytest.mark.slow
@pytest.mark.skipif(not (AEB / "gold.csv").is_file(), reason="the AEB benchmark folder is not here")
def test_reference_figures_on_the_real_benchmark():
    """The figures of the benchmark's README (all 181 pages)."""
    pages = load_benchmark(AEB)
    assert len(pages) == 181
    assert sum(len(page.lines) for page in pages) == 31846
    assert sum(sum(page.content) for page in pages) == 4340

    def check(kept, *, line_f1, body):
        assert line_scores(pages, kept)["f1"] == pytest.approx(line_f1, abs=0.0005)
        assert body_scores(pages, kept, bootstrap=0)["f1"] == pytest.approx(body, abs=0.002)

    check(oracle(pages), line_f1=1.0, body=0.998)
    everything = [keep_all(page.lines) for page in pages]
    check(everything, line_f1=0.240, body=0.671)
    assert body_scores(pages, everything, bootstrap=200)["f1_std"] == pytest.approx(0.015, abs=0.004)
    check([keep_min_words(page.lines) for page in pages], line_f1=0.608, body=0.775)
    pytest.importorskip("justext")
    check([justext_keep(page.lines) for page in pages], line_f1=0.511, body=0.770)
