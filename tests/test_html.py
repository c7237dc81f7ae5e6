"""The HTML reader (blocks with their markup) and the HTML stage trained from labelled pages."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from conftest import REPO, make_project, resign
from triage.html import STRUCTURE_FEATURES, HtmlStage, read_labelled_page, read_page
from triage.errors import LabelError, ModelError


def _column(page, name):
    return list(page.layout[:, STRUCTURE_FEATURES.index(name)])


def test_a_data_table_row_is_one_block_and_a_layout_cell_holds_its_own_blocks():
    page = read_page(
        b"<html><body><table><tr><th>Region</th><th>Killed</th></tr><tr><td>North</td><td>12</td></tr></table>"
        b"<table><tr><td>Home | World</td><td><p>A bomb killed nine people.</p><p>Police sealed the area.</p></td></tr>"
        b"</table></body></html>"
    )
    assert [b.text for b in page.blocks] == [
        "Region Killed", "North 12", "Home | World", "A bomb killed nine people.", "Police sealed the area.",
    ]
    assert [b.tag for b in page.blocks][:2] == ["tr", "tr"]


def test_blocks_know_their_links_their_ancestors_and_the_main_text():
    story = " ".join(["The gunmen opened fire on the crowd outside the market on Sunday."] * 2)
    page = read_page(
        f"""<html><head><title>Site</title><script>var x = "hidden";</script></head><body>
        <nav><ul><li><a href="/">Home</a></li><li><a href="/w">World news</a></li></ul></nav>
        <div><div><p>{story}</p><p>{story}</p><p>Police said <a href="/x">two men</a> were held.</p></div></div>
        <footer><p>Contact us</p></footer></body></html>""".encode()
    )
    texts = [b.text for b in page.blocks]
    assert texts[0] == "Home" and "hidden" not in " ".join(texts) and "Site" not in texts
    assert page.title == "Site"
    assert page.blocks[0].ancestors >= {"nav", "list"}
    assert _column(page, "link_density")[0] == 1.0
    assert 0 < _column(page, "link_density")[4] < 0.5
    # The two long paragraphs make their div the main text; nav is before it, the footer after.
    assert _column(page, "in_main_text") == [0, 0, 1, 1, 1, 0]
    assert _column(page, "before_main_text")[:2] == [1, 1] and _column(page, "after_main_text")[-1] == 1


def test_comments_and_teaser_cards_are_items_of_a_series_and_a_body_is_not():
    story = "The gunmen opened fire on the crowd outside the market on Sunday, witnesses said."
    comments = "".join(
        f'<li class="comment comment-{n}"><div class="meta"><a href="/u{n}">Reader {n}</a> said:</div>'
        f'<div class="comment-body"><p>I think the police were far too slow to arrive that night.</p></div></li>'
        for n in range(101, 105)
    )
    cards = "".join(
        f'<div class="card"><h3><a href="/s{n}">Another story {n}</a></h3><p>A short teaser line.</p></div>'
        for n in range(3)
    )
    page = read_page(
        f"""<html><body><article><div class="body"><p>{story}</p><p>{story}</p><p>{story}</p></div></article>
        <ol class="comments">{comments}</ol><section class="more">{cards}</section></body></html>""".encode()
    )
    repeated = _column(page, "repeated_item")
    links = _column(page, "item_link_density")
    blocks = _column(page, "item_blocks")
    # The body's paragraphs are a series of <p> themselves, but they sit in one element.
    assert repeated[:3] == [0, 0, 0] and links[:3] == [0, 0, 0]
    # Four comments (their numbered class names alike): each paragraph and each "said:" line is in one.
    comment_rows = range(3, 11)
    assert all(abs(repeated[i] - np.log1p(4)) < 1e-9 for i in comment_rows)
    assert all(abs(blocks[i] - np.log1p(2)) < 1e-9 for i in comment_rows)
    assert all(0 < links[i] < 0.5 for i in comment_rows)
    # Three cards, each a linked headline (15 characters) over a teaser (20).
    assert all(abs(repeated[i] - np.log1p(3)) < 1e-9 for i in range(11, 17))
    assert all(abs(links[i] - 15 / 35) < 1e-9 for i in range(11, 17))


def test_json_ld_article_body_marks_the_blocks_it_holds():
    body = "Five people were killed when gunmen attacked a bus near the border on Friday."
    page = read_page(
        f"""<html><head><script type="application/ld+json">{json.dumps({"@graph": [{"articleBody": body}]})}
        </script></head><body><p>{body}</p><p>Read our other stories about the region today.</p></body></html>""".encode()
    )
    assert _column(page, "in_ld_body") == [1.0, 0.0]
    assert _column(page, "outside_ld_body") == [0.0, 1.0]


def test_data_labels_are_read_as_labels_and_never_as_features(tmp_path):
    labelled = """<html><body><nav data-label="boilerplate"><a href="/">Home</a></nav>
    <article data-label="attack"><p>Gunmen killed five people at a market.</p>
    <p data-label="state_response">Police arrested two suspects.</p></article></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(labelled, encoding="utf-8")
    page = read_labelled_page(path)
    assert [b.label for b in page.blocks] == ["boilerplate", "attack", "state_response"]
    plain = read_page(labelled.replace('data-label="', 'data-x="').encode())
    assert np.array_equal(page.layout, plain.layout)


def test_a_block_without_a_label_is_named(tmp_path):
    path = tmp_path / "page.html"
    path.write_text('<html><body><p data-label="attack">Shots were fired.</p><p>Share this</p></body></html>')
    with pytest.raises(LabelError, match=r"page.html: block 1 \('Share this'\) has no data-label"):
        read_labelled_page(path)


def _page(story: list[str], furniture: list[str], *, labels: bool) -> str:
    def lab(value):
        return f' data-label="{value}"' if labels else ""

    links = "".join(f'<li><a href="/{i}">{text}</a></li>' for i, text in enumerate(furniture))
    body = "".join(f"<p{lab('attack')}>{text}</p>" for text in story)
    return (
        f"<html><body><header{lab('boilerplate')}><ul>{links}</ul></header>"
        f"<main><div class='story'>{body}</div></main>"
        f"<footer{lab('boilerplate')}><ul>{links}</ul><p>Copyright 2026. All rights reserved.</p></footer></body></html>"
    )


STORIES = [
    ["Gunmen on motorcycles attacked a village market on Sunday morning, killing seven traders.",
     "Witnesses said the attackers set fire to stalls and fled into the forest before soldiers arrived.",
     "Three children were among the wounded, a nurse at the district clinic said by telephone."],
    ["A car bomb exploded outside a police station in the provincial capital late on Friday night.",
     "The blast shattered windows along the street and wounded at least eleven passers-by, officials said.",
     "No group has claimed the attack, the second in the city this month."],
    ["An armed group raided a mining camp near the border before dawn, abducting fourteen workers.",
     "Relatives gathered outside the company offices on Monday demanding news of the missing men.",
     "The raid followed weeks of threats against the camp's managers, residents said."],
]
# Teasers of other stories: sentences about violence that only the markup (links in a
# header or footer list, outside the main text) shows to be page furniture.
FURNITURE = [
    "Gunmen kill three farmers in a night raid on a hillside village",
    "Police say a suspect in the bus station stabbing has been arrested",
    "Bomb blast at a wedding party leaves dozens wounded in the north",
    "Soldiers free eight hostages after a gun battle near the river",
]


@pytest.fixture(scope="module")
def html_model_path(tmp_path_factory):
    """A model trained on the seeds and on three labelled pages."""
    from triage.api import train
    from triage.persist import save_model

    root = make_project(tmp_path_factory.mktemp("html"))
    (root / "labels" / "html").mkdir()
    for number, story in enumerate(STORIES):
        (root / "labels" / "html" / f"p{number}.html").write_text(_page(story, FURNITURE, labels=True), encoding="utf-8")
    model, _ = train(root / "labels", evaluate=False)
    return save_model(model, root / "models" / "triage.joblib")


def test_train_fits_an_html_stage_from_labelled_pages_and_the_file_keeps_it(html_model_path, trained_model_path):
    from triage.persist import load_model_file

    model = load_model_file(html_model_path)
    assert model.html_stage is not None and model.metadata["html_cross_validation"]["pages"] == 3
    assert load_model_file(trained_model_path).html_stage is None  # no labels/html: no stage
    page = read_page(_page(STORIES[0], FURNITURE, labels=False).encode())
    again = load_model_file(html_model_path).classify_page(page)
    assert again == model.classify_page(page)
    labels = [p.label for p in again]
    assert labels[: len(FURNITURE)] == ["boilerplate"] * len(FURNITURE)
    assert "boilerplate" not in labels[len(FURNITURE) : len(FURNITURE) + 3]


def test_classify_an_html_page_drops_its_furniture_with_the_stage(html_model_path, trained_model_path, tmp_path):
    from typer.testing import CliRunner

    from triage.cli.app import app

    story = ["Security forces killed four suspected attackers after a siege at a hotel on the coast.",
             "The siege lasted nine hours; guests were led out through the kitchens, a manager said.",
             "The interior ministry said two officers were wounded in the final assault."]
    path = tmp_path / "new.html"
    path.write_text(_page(story, FURNITURE, labels=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", str(path), "--model", str(html_model_path), "--drop", "boilerplate",
                                      "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == story
    # The text alone cannot tell the teasers from the story: a model without the stage keeps them.
    text_only = CliRunner().invoke(app, ["classify", str(path), "--model", str(trained_model_path), "--drop",
                                         "boilerplate", "--format", "text"])
    assert set(FURNITURE) & set(text_only.stdout.splitlines())


def test_a_tampered_html_stage_is_refused_in_one_line(html_model_path, tmp_path):
    from triage.persist import load_model_file

    path = tmp_path / "model.joblib"
    shutil.copy(html_model_path, path)

    def shorten(payload):
        payload["metadata"]["html_stage"]["coef"] = payload["metadata"]["html_stage"]["coef"][:-1]

    resign(path, shorten)
    with pytest.raises(ModelError, match=r"model.joblib: its HTML stage is malformed; run 'triage train'"):
        load_model_file(path)


def test_an_html_stage_for_other_features_is_refused():
    data = HtmlStage(np.zeros(2), np.ones(2), np.zeros(2), 0.0, features=("a", "b")).to_data()
    with pytest.raises(ModelError, match="other page features"):
        HtmlStage.from_data(data, where="m.joblib")


def test_the_shipped_pages_are_labelled_whole():
    pages = sorted((REPO / "labels" / "html").glob("*.html"))
    assert len(pages) >= 20
    for path in pages:
        assert read_labelled_page(path).blocks, path


def test_triage_train_reports_the_html_stage(tmp_path):
    from typer.testing import CliRunner

    from triage.cli.app import app

    root = make_project(tmp_path / "p")
    (root / "labels" / "html").mkdir()
    for number, story in enumerate(STORIES):
        (root / "labels" / "html" / f"p{number}.html").write_text(_page(story, FURNITURE, labels=True), encoding="utf-8")
    out = tmp_path / "m.joblib"
    result = CliRunner().invoke(app, ["train", "--labels", str(root / "labels"), "--no-eval", "--model", str(out)])
    assert result.exit_code == 0, result.output
    assert "HTML stage on 3 labelled pages (" in result.stdout and out.is_file()


def test_a_story_in_words_the_model_does_not_know_is_kept_by_its_markup(html_model_path, trained_model_path):
    from triage.persist import load_model_file

    story = ["日曜日の未明、武装した男たちが市の中心部にある銀行の支店を襲い、警備員二人が負傷した。",
             "住民によると、爆発音と銃声はおよそ三十分続き、近くの住宅の窓ガラスが割れたという。",
             "市は月曜日の授業を休みにすると発表し、住民に落ち着いて行動するよう呼びかけた。"]
    page = read_page(_page(story, FURNITURE, labels=False).encode())

    def kept(path):
        model = load_model_file(path)
        return [p.text for p in model.classify_page(page) if not model.drops(p, model.html_drop_threshold)]

    assert kept(html_model_path) == story
    assert set(story) - set(kept(trained_model_path))  # from its text alone, Japanese is read as furniture


def test_control_characters_after_a_dropped_script_are_not_a_crash():
    # Found by the random-input test: lxml refused to move "\x1f" when it dropped the script.
    page = read_page(b"<p>Gunmen attacked a bank.<script>x()</script>\x1f\x07 Police came.</p>")
    assert [block.text for block in page.blocks] == ["Gunmen attacked a bank. Police came."]
    assert read_page(b"<p><script></script>\x1f").blocks == []


def test_a_headline_of_punctuation_marks_no_block_as_the_headline():
    from triage.html import STRUCTURE_FEATURES, read_page

    column = STRUCTURE_FEATURES.index("is_headline")
    page = read_page(b'<html><head><meta property="og:title" content="***"></head>'
                     b"<body><p>|</p><p>Gunmen attacked the depot on Monday.</p></body></html>")
    assert [b.text for b in page.blocks] == ["|", "Gunmen attacked the depot on Monday."]
    assert not page.layout[:, column].any()
    titled = read_page(b'<html><head><meta property="og:title" content="Depot attacked"></head>'
                       b"<body><h1>Depot attacked</h1><p>Gunmen attacked the depot on Monday.</p></body></html>")
    assert titled.layout[:, column].tolist() == [1.0, 0.0]
