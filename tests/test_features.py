"""The fast feature code must give exactly the features of the plain versions it replaces."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from conftest import REPO
from triage.features.context import _char_counts
from triage.features import DIRECTED, CharNgrams, Context, NameMasker, WordNgrams, contexts, text_of
from triage.labelling.files import load_labels

WORD = re.compile(r"\w+(?:['’]\w+)*")


def samples(texts: list[str]) -> list[Context]:
    return contexts(texts)


def reference_mask(known: frozenset[str], text: str) -> str:
    """Every word in turn: a capitalised word never seen in lower case is a name; digits are 0."""
    out, last = [], 0
    for match in WORD.finditer(text):
        word = match.group()
        out.append(text[last : match.start()])
        out.append("xname" if word[0].isupper() and word.lower() not in known else word)
        last = match.end()
    out.append(text[last:])
    return re.sub(r"\d+", "0", "".join(out))


MASKER = NameMasker().fit(samples(["the bank was attacked by men near the o'neil road in may"]))


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="aAzZéÉ'’_1 .-ЖжßǅⅠ\n", max_size=40))
def test_masking_matches_a_word_by_word_reference(text):
    assert MASKER._mask(text) == reference_mask(MASKER.lower_vocabulary_, text)


def test_masking_keeps_known_words_and_hides_names_and_numbers():
    masked = MASKER._mask("The Bank in Springfield was attacked on May 12 by O'Neil's men. ‘Zorb’ said")
    assert masked == "The Bank in xname was attacked on May 0 by xname men. ‘xname’ said"


def labelled_samples() -> list[Context]:
    out = []
    for number, article in enumerate(load_labels(REPO / "labels")[:12]):
        out.extend(contexts(article.texts, number))
    return out


def test_character_ngrams_equal_scikit_learns_char_wb():
    train = labelled_samples()
    reference = TfidfVectorizer(
        preprocessor=text_of, analyzer="char_wb", ngram_range=(3, 4), min_df=2, sublinear_tf=True
    )
    fast = CharNgrams(ngram_range=(3, 4), min_df=2)
    np.testing.assert_allclose(fast.fit_transform(train).toarray(), reference.fit_transform(train).toarray())
    assert fast.vocabulary_ == reference.vocabulary_
    assert list(fast.get_feature_names_out()) == list(reference.get_feature_names_out())
    new = samples(["Gunmen   stormed\tthe Ünïon bank; a 9mm shell, 'x' and an unseenword."])
    np.testing.assert_allclose(fast.transform(new).toarray(), reference.transform(new).toarray())


def test_character_ngram_memory_is_bounded_and_not_saved():
    train = labelled_samples()
    fast = CharNgrams(cache_size=50).fit(train)
    expected = CharNgrams().fit(train).transform(train[:200]).toarray()
    np.testing.assert_allclose(fast.transform(train[:200]).toarray(), expected)
    assert len(fast._cache) <= 50
    other = [Context("completely different vocabulary here", 0, 1, "", "", 0)] * 2
    refitted = CharNgrams().fit(train)
    refitted.transform(other)  # remembers these words' columns under the first vocabulary
    refitted.fit(other)  # a refit must forget the words it knew under the old vocabulary
    np.testing.assert_allclose(
        refitted.transform(other).toarray(), CharNgrams().fit(other).transform(other).toarray()
    )
    reloaded = pickle.loads(pickle.dumps(fast))
    assert "_cache" not in reloaded.__dict__
    np.testing.assert_allclose(reloaded.transform(train[:200]).toarray(), expected)


def test_word_ngrams_equal_scikit_learns_vectoriser():
    train = labelled_samples()
    reference = TfidfVectorizer(preprocessor=text_of, ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    fast = WordNgrams(ngram_range=(1, 2), min_df=2)
    np.testing.assert_allclose(fast.fit_transform(train).toarray(), reference.fit_transform(train).toarray())
    assert fast.vocabulary_ == reference.vocabulary_
    new = samples(["Gunmen stormed the bank, the bank said; a  x  unseenword", "", "bank"])
    np.testing.assert_allclose(fast.transform(new).toarray(), reference.transform(new).toarray())


def test_directed_cues_tell_who_acts_on_whom():
    def found(text):
        return {name for name, pattern in DIRECTED.items() if pattern.search(text.lower())}

    assert "harm_to_state" in found("The suspect then shot two officers as they gave chase.")
    assert "state_harmed" in found("At least seven police are being treated in hospital.")
    assert "state_kills" in found("Security forces killed five alleged militants in a raid.")
    assert "state_acts" in found("Police cordoned off the area and arrested six people.")
    assert "public_mood" in found('"We never thought this could happen here," said a resident.')
    assert found("The market reopened on Sunday.") == set()


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=40))
def test_character_counts_match_str_methods(text):
    expected = (
        sum(c.isalpha() for c in text),
        sum(c.isupper() for c in text),
        sum(c.isdigit() for c in text),
    )
    assert _char_counts(text) == expected


# --- case and position ---

SENTENCE_CASE = [
    "Gunmen attacked a police post in Kandari on Monday night, killing two officers.",
    "The governor of Kandari said the attackers had fled towards the border.",
    "Residents said they were afraid to leave their homes after dark.",
]


def test_upper_case_article_gets_the_features_of_the_same_text_in_sentence_case():
    masker = NameMasker().fit(samples(SENTENCE_CASE + ["police said the attackers were afraid of the border"]))
    normal = masker.transform(samples(SENTENCE_CASE))
    shouted = masker.transform(samples([t.upper() for t in SENTENCE_CASE]))
    assert [text_of(s) for s in shouted] == [text_of(s) for s in normal]
    assert "xname" in text_of(shouted[0])  # the place is still masked as a name
    from triage.features import LayoutFeatures

    layout = LayoutFeatures()
    assert np.allclose(layout.transform(shouted), layout.transform(normal))


def test_a_lower_cased_article_gets_the_features_of_the_same_text_in_sentence_case():
    masker = NameMasker().fit(samples(SENTENCE_CASE + ["police said the attackers were afraid of the border"]))
    normal = masker.transform(samples(SENTENCE_CASE))
    lowered = masker.transform(samples([t.lower() for t in SENTENCE_CASE]))
    assert [text_of(s) for s in lowered] == [text_of(s) for s in normal]
    assert "xname" in text_of(lowered[0])  # "kandari", never seen in lower case, is still a name
    from triage.features import LayoutFeatures

    layout = LayoutFeatures()
    assert np.allclose(layout.transform(lowered), layout.transform(normal))
    # One lower-case line in an article with capitals is left as it is.
    mixed = masker.transform(samples(SENTENCE_CASE + ["share this story"]))
    assert mixed[-1].text == "share this story"
    # Scripts without case are not lower case.
    from triage.features.masking import lower_case_articles

    japanese = ["浜松市のバスで男が刃物を振り回し、乗客三人がけがをした。", "警察は男を現行犯で逮捕した。"]
    assert lower_case_articles(samples(japanese)) == set()
    assert [s.text for s in masker.transform(samples(japanese))] == japanese
    # Words are matched as they are, not through upper case: "groß" stays a word, not "gross".
    german = ["Der Täter war groß und kam schließlich mit dem Auto.", "Die Polizei sagte, er sei groß gewesen."]
    masker = NameMasker().fit(samples(german))
    lowered = masker.transform(samples([t.lower() for t in german]))
    assert lower_case_articles(samples([t.lower() for t in german])) == {0}
    assert "groß" in lowered[0].text and "schließlich" in lowered[0].text


def test_a_capitalised_line_in_a_mixed_case_article_keeps_its_case():
    masker = NameMasker().fit(samples(SENTENCE_CASE))
    page = masker.transform(samples(["BREAKING NEWS"] + SENTENCE_CASE))
    assert page[0].text == "BREAKING NEWS".replace("BREAKING", "xname").replace("NEWS", "xname")


def test_layout_features_do_not_depend_on_the_place_in_the_article():
    from triage.features import LayoutFeatures

    texts = ["Menu", "Police arrested two suspects on Tuesday.", "Share this", "Home", "About us"]
    first = contexts(texts[:3])[1]
    later = Context(first.text, 3, 9, first.previous, first.next)
    rows = LayoutFeatures().transform([first, later])
    assert np.array_equal(rows[0], rows[1])
    alone = contexts([texts[1]])[0]
    last = contexts(texts[:2])[1]
    assert np.array_equal(LayoutFeatures().transform([alone])[0][:10], LayoutFeatures().transform([last])[0][:10])
    # No neighbour reads as a neighbour shaped like the paragraph itself, not as an empty line.
    row = LayoutFeatures().transform([alone])[0]
    assert np.array_equal(row[:10], row[10:20]) and np.array_equal(row[:10], row[20:])
    assert not np.array_equal(LayoutFeatures().transform([last])[0][10:20], row[10:20])  # "Menu" before is still seen


def test_min_articles_drops_ngrams_that_only_one_article_uses():
    first = contexts(["the teacher was shot", "the teacher was shot again"], article=0)
    second = contexts(["the guard was shot", "the guard was shot again"], article=1)
    words = WordNgrams(ngram_range=(1, 1), min_df=1, min_articles=2).fit(first + second)
    assert set(words.vocabulary_) == {"the", "was", "shot", "again"}
    copy = contexts(["the teacher was shot"], article=-1)  # the first article's story copy
    again = WordNgrams(ngram_range=(1, 1), min_df=1, min_articles=2).fit(first + second + copy)
    assert set(again.vocabulary_) == {"the", "was", "shot", "again"}
    assert "teacher" in WordNgrams(ngram_range=(1, 1), min_df=1).fit(first + second).vocabulary_
    chars = CharNgrams(ngram_range=(3, 3), min_df=1, min_articles=2).fit(first + second)
    assert " te" not in chars.vocabulary_ and "sho" in chars.vocabulary_


def test_a_story_copy_does_not_count_twice_for_min_df_or_idf():
    texts = ["gunmen stormed the depot", "police sealed the road", "share this story"]
    article = contexts(texts, article=0)
    copy = contexts(texts[:2], article=-1)  # its story copy repeats two paragraphs word for word
    other = contexts(["police arrested two men", "read more"], article=1)
    for vectoriser in (WordNgrams(ngram_range=(1, 1), min_df=2), CharNgrams(ngram_range=(3, 3), min_df=2)):
        alone = vectoriser.fit(article + other)
        both = type(vectoriser)(**vectoriser.get_params()).fit(article + other + copy)
        assert both.vocabulary_ == alone.vocabulary_  # "gunmen" is in one paragraph, not two
        assert np.array_equal(both.tfidf_.idf_, alone.tfidf_.idf_)
    assert "police" in WordNgrams(ngram_range=(1, 1), min_df=2).fit(article + other + copy).vocabulary_
