from __future__ import annotations

import pytest

from triage.errors import LabelError
from triage.labelling.files import load_labels, write_labels
from triage.text import split_paragraphs

ARTICLE = "Blast hits market\nGunmen opened fire on Tuesday.\nPolice arrested three men.\nHome\n"
GOOD = (
    "index,label,text\n"
    "0,attack,Blast hits market\n"
    "1,attack,Gunmen opened fire on Tuesday.\n"
    "2,state_response,Police arrested three men.\n"
    "3,boilerplate,Home\n"
)


@pytest.fixture
def labels(tmp_path):
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def write_csv(labels, body):
    (labels / "a.csv").write_text(body, encoding="utf-8")


def test_valid_labels_load_with_paragraphs_and_labels(labels):
    write_csv(labels, GOOD)
    [article] = load_labels(labels)
    assert article.name == "a"
    assert article.labels == {0: "attack", 1: "attack", 2: "state_response", 3: "boilerplate"}
    assert article.texts[2] == "Police arrested three men."


def test_article_is_found_in_seeds_next_to_labels(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    write_csv(tmp_path / "labels", GOOD)
    [article] = load_labels(tmp_path / "labels")
    assert article.article_path == tmp_path / "seeds" / "a.txt"


@pytest.mark.parametrize(
    "row, message",
    [
        ("1,atack,Gunmen opened fire on Tuesday.",
         "labels/a.csv line 3: unknown label 'atack'; expected one of attack, boilerplate, social_context, state_response (or unsure)"),
        ("1,attack,  ", "labels/a.csv line 3: text is empty; copy the paragraph's text into it"),
        ("0,attack,Blast hits market", "labels/a.csv line 3: duplicate index 0; keep one row per paragraph"),
        ("9,attack,Gunmen opened fire on Tuesday.", "labels/a.csv line 3: index 9 is out of range; a.txt has 4 paragraphs"),
        ("one,attack,Gunmen", "labels/a.csv line 3: index 'one' is not a whole number"),
        ("1,attack", "labels/a.csv line 3: has 2 fields; expected 3 (index,label,text)"),
        ("1,attack,Gunmen opened fire on Monday.",
         "labels/a.csv line 3: text does not match paragraph 1 of a.txt ('Gunmen opened fire on Tuesday.'...); the article changed, relabel it"),
    ],
)
def test_each_bad_row_is_reported_with_file_and_line(labels, row, message):
    write_csv(labels, "index,label,text\n0,attack,Blast hits market\n" + row + "\n")
    with pytest.raises(LabelError) as info:
        load_labels(labels)
    assert str(info.value) == message


def test_several_problems_are_counted(labels):
    write_csv(labels, "index,label,text\n0,bad,Blast hits market\n1,worse,x\n")
    with pytest.raises(LabelError, match=r"line 2: unknown label 'bad'.* \(and 1 more problems\)$"):
        load_labels(labels)


def test_bad_header_and_missing_article_are_reported(labels):
    write_csv(labels, "idx,label,text\n")
    with pytest.raises(LabelError, match=r"labels/a.csv line 1: header is \['idx', 'label', 'text'\]"):
        load_labels(labels)
    (labels / "a.txt").unlink()
    with pytest.raises(LabelError, match=r"labels/a.csv: no article a.txt beside it or in .*/seeds/"):
        load_labels(labels)


def test_missing_or_empty_labels_folder(tmp_path):
    with pytest.raises(LabelError, match="no such labels folder; give another `labels_dir`$"):
        load_labels(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabelError, match=r"has no label files \(\*\.csv\)"):
        load_labels(tmp_path / "empty")


def test_write_labels_round_trips_and_quotes_commas(labels):
    article = 'She said, "run."\nSecond, with comma\n'
    (labels / "b.txt").write_text(article, encoding="utf-8")
    paragraphs = split_paragraphs(article)
    write_labels(labels / "b.csv", paragraphs, {1: "boilerplate", 0: "social_context"})
    assert (labels / "b.csv").read_text(encoding="utf-8").splitlines()[1] == '0,social_context,"She said, ""run."""'
    write_csv(labels, GOOD)
    loaded = {a.name: a.labels for a in load_labels(labels)}
    assert loaded["b"] == {0: "social_context", 1: "boilerplate"}


def test_write_labels_refuses_unknown_label_and_keeps_old_file(labels):
    write_csv(labels, GOOD)
    before = (labels / "a.csv").read_bytes()
    with pytest.raises(LabelError, match="unknown labels"):
        write_labels(labels / "a.csv", split_paragraphs(ARTICLE), {0: "nonsense"})
    assert (labels / "a.csv").read_bytes() == before
    assert [p.name for p in labels.iterdir() if p.name.startswith(".")] == []


def test_shipped_labels_are_valid_and_cover_every_seed_paragraph():
    from conftest import REPO, SEED_NAMES

    articles = {a.name: a for a in load_labels(REPO / "labels")}
    for name in SEED_NAMES:
        assert len(articles[name].labels) == len(articles[name].paragraphs)
