from __future__ import annotations

import codecs
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.errors import InputError
from triage.text import decode_bytes, normalise_space, read_text, split_paragraphs

ARTICLE = "Gunmen attacked a police post on Tuesday.\nThe army said it was searching for them.\n"


def texts(text: str) -> list[str]:
    return [p.text for p in split_paragraphs(text)]


@pytest.mark.parametrize(
    "data",
    [
        ARTICLE.encode("utf-8"),
        codecs.BOM_UTF8 + ARTICLE.encode("utf-8"),
        ARTICLE.encode("utf-16"),  # with BOM, native order
        codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"),
        codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be", "utf16-le"],
)
def test_unicode_encodings_decode_to_the_same_text(data):
    assert decode_bytes(data) == ARTICLE


def test_cp1252_western_text_is_detected():
    text = "Le préfet a déclaré l’état d’urgence à Mérignac — “calme” revenu.\n"
    assert decode_bytes(text.encode("cp1252")) == text


def test_cp1251_cyrillic_text_is_detected():
    text = "Неизвестные открыли огонь по полицейскому участку в Алматы.\n"
    assert decode_bytes(text.encode("cp1251")) == text


def test_nul_bytes_are_refused_as_binary():
    with pytest.raises(InputError, match=r"^x\.bin: looks binary \(it has NUL bytes\)"):
        decode_bytes(b"PK\x03\x04\x00\x00rest", source="x.bin")


def test_control_characters_are_refused_as_binary():
    with pytest.raises(InputError, match="looks binary"):
        decode_bytes(bytes(range(1, 9)) * 20, source="x.bin")


def test_bytes_undecodable_in_every_encoding_are_refused():
    # Every high byte, three times over: no encoding reads that as text.
    with pytest.raises(InputError, match=r"^x\.txt: is not text in any encoding charset-normalizer recognises; re-save it as UTF-8$"):
        decode_bytes(b"abc " + bytes(range(0x80, 0x100)) * 3 + b" def", source="x.txt")


def test_broken_utf16_after_bom_is_refused():
    with pytest.raises(InputError, match="byte-order mark but is not valid"):
        decode_bytes(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8", source="x.txt")


def test_read_text_names_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match=r"nope\.txt: no such file; check the path$"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder; give a file$"):
        read_text(tmp_path)


def test_one_paragraph_per_line_with_and_without_blank_lines():
    text = "Home\nWorld\n\nGunmen attacked a post.\n\n\nPolice arrested two men.\n"
    assert texts(text) == ["Home", "World", "Gunmen attacked a post.", "Police arrested two men."]


def test_crlf_cr_indentation_nbsp_and_blank_lines_are_handled():
    text = "  Headline here\r\n\r\n\tBody\u00a0text  with\u00a0\u00a0spaces\r \u00a0 \rLast line"
    assert texts(text) == ["Headline here", "Body text with spaces", "Last line"]


def test_invisible_only_lines_are_blank():
    assert texts("A\n\u200b\n\ufeff \nB") == ["A", "B"]


def test_hard_wrapped_paragraphs_are_joined_and_short_lines_kept():
    long_one = (
        "Gunmen attacked a police post in the north of the country on Tuesday night, "
        "killing three officers and wounding two others, officials said on Wednesday."
    )
    long_two = (
        "The army said it had launched an operation to find the attackers, who fled into "
        "the forest after the raid, according to a statement issued late on Wednesday."
    )
    text = "\n\n".join(
        ["World News", textwrap.fill(long_one, 72), "By A. Writer\nUpdated 2 hours ago",
         textwrap.fill(long_two, 72)]
    )
    assert "\n" in textwrap.fill(long_one, 72)
    assert texts(text) == ["World News", long_one, "By A. Writer", "Updated 2 hours ago", long_two]


def test_long_lines_mean_one_paragraph_per_line():
    line = "A long paragraph line that goes on " * 5
    text = f"{line}\nSecond paragraph directly after it.\n\n{line}\n"
    assert len(split_paragraphs(text)) == 3


def test_offsets_slice_back_and_indexes_count_from_zero():
    text = "\ufeffTitle\r\n\r\n   Body\u00a0one.\nBody two.  \n"
    paragraphs = split_paragraphs(text)
    assert [p.index for p in paragraphs] == [0, 1, 2]
    for p in paragraphs:
        assert normalise_space(text[p.start : p.end]) == p.text
        assert not text[p.start].isspace() and not text[p.end - 1].isspace()


def test_empty_and_blank_texts_have_no_paragraphs():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\t\r\n\u00a0\n") == []


ALPHABET = st.sampled_from(list("ab .,Z9\u00e9\u0416") + ["\n", "\r\n", "\r", "\t", "\u00a0", "\n\n", "  "])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=200).map("".join))
def test_splitting_loses_no_visible_character_and_offsets_slice_back(text):
    paragraphs = split_paragraphs(text)
    for p in paragraphs:
        assert p.text and normalise_space(text[p.start : p.end]) == p.text
    assert all(a.end <= b.start for a, b in zip(paragraphs, paragraphs[1:]))
    visible = "".join(c for c in text if not c.isspace())
    assert "".join(c for p in paragraphs for c in p.text if not c.isspace()) == visible


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh ", min_size=1, max_size=300), min_size=1, max_size=6))
def test_wrapped_prose_round_trips_to_its_paragraphs(paras):
    paras = [normalise_space(p) for p in paras if normalise_space(p)]
    text = "\n\n".join(textwrap.fill(p, 70) for p in paras)
    joined = texts(text)
    # Every wrapped paragraph comes back whole or as its own short lines, never merged with another.
    assert normalise_space(" ".join(joined)) == normalise_space(" ".join(paras))
    assert len(joined) >= len(paras)
