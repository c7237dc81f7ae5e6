from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest

from triage.api import load_model, train
from triage.errors import LabelError, ModelError
from triage.features import contexts
from triage.labelling.files import load_labels
from triage.model import cross_validate, dataset
from triage.persist import load_model_file, save_model

from conftest import resign, write_pickled

PROBE = contexts(["Gunmen stormed the hotel and killed four guests.", "Share this article", "Police arrested two suspects."])


def test_save_and_load_give_the_same_probabilities(project, tmp_path):
    model, _ = train(project / "labels", evaluate=False)
    path = save_model(model, tmp_path / "m.joblib")
    loaded = load_model_file(path)
    np.testing.assert_array_equal(model.pipeline.predict_proba(PROBE), loaded.pipeline.predict_proba(PROBE))
    seeds = dataset(load_labels(project / "labels")).samples
    np.testing.assert_array_equal(model.pipeline.predict_proba(seeds), loaded.pipeline.predict_proba(seeds))
    meta = loaded.metadata
    assert meta["labels"] == sorted(["attack", "boilerplate", "social_context", "state_response"])
    assert sum(meta["label_counts"].values()) == 103 and meta["n_articles"] == 5
    assert set(meta["versions"]) == {"triage", "sklearn", "python"} and meta["created"]
    assert len(meta["labels_sha256"]) == 64


def test_training_is_deterministic(project):
    first, _ = train(project / "labels", evaluate=False)
    second, _ = train(project / "labels", evaluate=False)
    np.testing.assert_array_equal(first.pipeline.predict_proba(PROBE), second.pipeline.predict_proba(PROBE))


def test_cross_validation_never_sees_the_held_out_article(project):
    articles = load_labels(project / "labels")
    baseline = cross_validate(articles[:3]).predicted
    # Relabel the first article entirely: its own out-of-fold predictions must not move,
    # because it is never on the training side when it is predicted.
    articles[0].labels = {i: "boilerplate" for i in articles[0].labels}
    changed = cross_validate(articles[:3]).predicted
    n_first = len(articles[0].labels)
    assert changed[:n_first] == baseline[:n_first]


def test_cross_validation_figures_are_consistent(project):
    articles = load_labels(project / "labels")[:3]
    result = cross_validate(articles)
    evaluation, predicted = result.evaluation, result.predicted
    assert result.probabilities.shape == (len(predicted), 4)
    assert evaluation.n_articles == 3
    assert evaluation.n_paragraphs == len(predicted) == sum(len(a.labels) for a in articles)
    assert sum(map(sum, evaluation.confusion)) == evaluation.n_paragraphs
    assert 0.0 <= evaluation.macro_f1 <= 1.0


def test_training_needs_two_labels(project):
    articles = load_labels(project / "labels")
    for article in articles:
        article.labels = {i: "attack" for i in article.labels}
    with pytest.raises(LabelError, match="label paragraphs of at least two types"):
        cross_validate(articles)


def test_classify_returns_offsets_labels_and_scores(model_path):
    model = load_model(model_path)
    text = "Breaking News\n\nGunmen attacked a police station, killing two officers.\n"
    result = model.classify(text)
    assert [p.index for p in result] == [0, 1]
    for p in result:
        assert text[p.start : p.end] == p.text
        assert p.label in p.scores and p.score == max(p.scores.values())
        assert abs(sum(p.scores.values()) - 1) < 1e-9
    assert model.classify("") == []


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match=r"no such model file; run 'triage train' or give another `model`$") as caught:
        load_model(tmp_path / "none.joblib")
    # The parts travel separately, so a caller need not split the message (and a worker can send it back).
    error = caught.value
    assert (error.path, error.problem, error.fix) == (
        str(tmp_path / "none.joblib"), "no such model file", "run 'triage train' or give another `model`"
    )
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.problem, again.fix, str(again)) == (error.path, error.problem, error.fix, str(error))


def test_a_broken_default_model_is_rebuilt_saying_why(tmp_path, monkeypatch):
    from triage import api

    broken = tmp_path / "triage.joblib"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(api.config, "default_model_path", lambda: broken)
    monkeypatch.setattr(api, "train", lambda labels_dir, evaluate: (_ for _ in ()).throw(RuntimeError("stop")))
    notes = []
    with pytest.raises(RuntimeError, match="stop"):
        api.load_model(note=notes.append)
    assert notes == [
        f"{broken}: not a readable model file (truncated or corrupt): building the default model from "
        f"{api.config.labels_dir()} (some seconds)"
    ]


def test_truncated_model_file(model_path):
    data = model_path.read_bytes()
    model_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"not a readable model file \(truncated or corrupt\)"):
        load_model(model_path)


def test_foreign_files_are_not_models(tmp_path):
    text_file = tmp_path / "notes.joblib"
    text_file.write_text("hello")
    with pytest.raises(ModelError, match="not a readable model file"):
        load_model(text_file)
    other = tmp_path / "other.joblib"
    joblib.dump({"weights": [1, 2]}, other)
    with pytest.raises(ModelError, match="not a triage model file; run 'triage train' to make one$"):
        load_model(other)
    with open(tmp_path / "list.pkl", "wb") as handle:
        pickle.dump([1, 2, 3], handle)
    with pytest.raises(ModelError, match="not a triage model file"):
        load_model(tmp_path / "list.pkl")


def test_model_from_another_sklearn_loads_as_data_and_a_pickle_from_one_needs_force(model_path, tmp_path):
    expected = load_model(model_path).classify("Gunmen attacked the bank. Police arrested two men.")
    resign(model_path, lambda payload: payload["metadata"]["versions"].update(sklearn="0.24.2"))
    # A data model file does not depend on the scikit-learn version that wrote it.
    assert load_model(model_path).classify("Gunmen attacked the bank. Police arrested two men.") == expected
    legacy = write_pickled(load_model(model_path), tmp_path / "old.joblib", version=2)
    with pytest.raises(ModelError, match=r"saved with scikit-learn 0\.24\.2, this is .*pass `force`"):
        load_model(legacy, trust_pickle=True)
    assert load_model(legacy, trust_pickle=True, force=True).classify("Gunmen attacked.")[0].label


def test_model_files_of_the_pickle_formats_load_only_when_trusted(model_path, tmp_path):
    model = load_model(model_path)
    expected = model.classify("Gunmen attacked the bank. Police arrested two men.")
    for version in (1, 2):  # 1 held the pipeline object itself, 2 its pickled bytes
        legacy = write_pickled(model, tmp_path / f"v{version}.joblib", version=version)
        with pytest.raises(ModelError, match=r"a pickle-based model file .*pass `trust_pickle` if you made this file yourself$"):
            load_model(legacy)
        assert load_model(legacy, trust_pickle=True).classify("Gunmen attacked the bank. Police arrested two men.") == expected
    resign(model_path, lambda payload: payload.update(format_version=99))
    with pytest.raises(ModelError, match=r"model format 99 is not one this version reads \(3, or 1 and 2 with `trust_pickle`\)"):
        load_model(model_path)


def test_model_fitted_on_an_older_feature_set_is_refused_and_the_default_rebuilt(model_path, project):
    resign(model_path, lambda payload: payload["metadata"].pop("features_version"))  # as before the directed cues
    with pytest.raises(ModelError, match=r"fitted on triage's feature set 1, this version computes set \d+; run 'triage train' to rebuild it$"):
        load_model(model_path)
    cached = project / "models" / "triage.joblib"
    notes = []
    load_model(note=notes.append)  # builds the default model
    resign(cached, lambda payload: payload["metadata"].update(features_version=1))
    assert load_model(note=notes.append).classify("Gunmen attacked the bank.")[0].label
    assert "feature set 1" in notes[-1] and "building the default model" in notes[-1]
    write_pickled(load_model(), cached, version=2)  # a default model left by an older triage
    assert load_model(note=notes.append).classify("Gunmen attacked the bank.")[0].label
    assert notes[-1].startswith(f"{cached}: a pickle-based model file (format 2, a pickled pipeline): building the default model")
    assert load_model_file(cached).metadata["auto_built"]  # rebuilt, as data


def test_default_model_is_built_cached_and_rebuilt_when_labels_change(project):
    notes = []
    model = load_model(note=notes.append)
    cached = project / "models" / "triage.joblib"
    assert cached.is_file() and model.metadata["auto_built"]
    assert len(notes) == 1 and notes[0].startswith(f"no model at {cached}: building the default model")
    load_model(note=notes.append)
    assert len(notes) == 1  # cache hit, nothing said
    label_file = sorted((project / "labels").glob("*.csv"))[0]
    lines = label_file.read_text().splitlines()
    assert lines[1].startswith("0,boilerplate,")
    lines[1] = lines[1].replace("boilerplate", "attack", 1)
    label_file.write_text("\n".join(lines) + "\n")
    load_model(note=notes.append)
    assert "changed since" in notes[-1] and "building the default model" in notes[-1]


def test_failed_save_leaves_no_partial_file(project, tmp_path, monkeypatch):
    model, _ = train(project / "labels", evaluate=False)
    target = tmp_path / "out" / "m.joblib"

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(joblib, "dump", explode)
    with pytest.raises(ModelError, match="cannot write the model"):
        save_model(model, target)
    assert list(target.parent.iterdir()) == []


def test_main_block_finds_the_best_run():
    from triage.neighbours import main_block

    assert main_block([-1, 2, 3, -1, 4, -10, 5]) == (1, 5)
    assert main_block([-1, -2]) == (0, 0)
    assert main_block([]) == (0, 0)


def test_neighbour_pass_learns_from_out_of_fold_probabilities(project):
    from triage.model import ModelSettings, dataset, fit

    articles = load_labels(project / "labels")
    model = fit(articles, ModelSettings(neighbours=True))
    assert model.second_ is not None  # five articles: a second pass was trained
    data = dataset(articles)
    probabilities = model.predict_proba(data.samples)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert list(model.classes_) == sorted(set(data.labels))
    single = fit(articles[:1], ModelSettings(neighbours=True))
    assert single.second_ is None  # one article: no held-out probabilities to learn from
    np.testing.assert_allclose(single.predict_proba(data.samples[:3]).sum(axis=1), 1.0)


def test_second_pass_final_fit_starts_from_the_folds_and_matches_a_cold_fit(project):
    from sklearn.base import clone

    from triage.model import ModelSettings, dataset, fit

    articles = load_labels(project / "labels")
    model = fit(articles, ModelSettings(neighbours=True))
    final = model.first_.named_steps["classifier"]
    assert final.get_params()["warm_start"] is False  # a later refit starts cold
    data = dataset(articles, story_copies=ModelSettings().story_copies)  # what fit trained on
    features = model.first_[:-1].transform(data.samples)
    cold = clone(final).fit(features, data.labels)
    # The same optimum up to the solver's tolerance: the same labels, close scores.
    assert (cold.predict(features) == final.predict(features)).mean() >= 0.99
    assert np.abs(cold.predict_proba(features) - final.predict_proba(features)).max() < 0.05


def test_story_copies_hold_each_story_alone_in_the_same_group(project):
    from triage.model import ModelSettings, fit

    articles = load_labels(project / "labels")
    plain, data = dataset(articles), dataset(articles, story_copies=100)
    assert data.samples[: len(plain.samples)] == plain.samples  # the articles themselves come first
    assert not any(data.copies[: len(plain.samples)]) and all(data.copies[len(plain.samples) :])
    assert data.originals().samples == plain.samples
    for article in articles:
        story = [article.texts[i] for i in sorted(article.labels) if article.labels[i] != "boilerplate"]
        copy = [s for s, c, g in zip(data.samples, data.copies, data.groups) if c and g == article.name]
        if len(story) < 2 or len(story) == len(article.texts):
            assert copy == []
            continue
        # Only the story, in order, each paragraph seeing the story paragraphs around it.
        assert [s.text for s in copy] == story
        assert [s.previous for s in copy] == [""] + story[:-1]
        assert [s.next for s in copy] == story[1:] + [""]
        assert {s.article for s in copy} != {s.article for s in plain.samples if s.text in story}
    assert any(data.copies)  # the seeds have page leftovers to leave out
    assert fit(articles, ModelSettings(story_copies=0)).classes_.tolist() == sorted(set(plain.labels))


def test_the_second_pass_inner_folds_keep_each_copy_with_its_article(project, monkeypatch):
    from sklearn.model_selection import GroupKFold

    from triage.model import ModelSettings, fit

    seen = []
    split = GroupKFold.split

    def recording(self, X, y=None, groups=None):
        seen.append(np.asarray(groups))
        return split(self, X, y, groups)

    monkeypatch.setattr(GroupKFold, "split", recording)
    articles = load_labels(project / "labels")
    data = dataset(articles, story_copies=100)
    fit(articles, ModelSettings(story_copies=100))
    assert len(seen) == 1 and len(seen[0]) == len(data.samples)
    # An article and its copy share one inner-fold group; two articles never do.
    by_name: dict[str, set] = {}
    for group, name in zip(seen[0].tolist(), data.groups):
        by_name.setdefault(name, set()).add(group)
    assert all(len(groups) == 1 for groups in by_name.values())
    assert len({next(iter(groups)) for groups in by_name.values()}) == len(by_name)


def test_cross_validation_with_story_copies_tests_each_article_once(project):
    from triage.model import ModelSettings

    articles = load_labels(project / "labels")[:3]
    result = cross_validate(articles, ModelSettings(story_copies=100))
    assert result.data.samples == dataset(articles).samples  # the copies train, never test
    assert result.probabilities.shape == (sum(len(a.labels) for a in articles), 4)
    assert (result.probabilities.sum(axis=1) > 0.99).all()  # every original was held out once


def test_story_copies_stop_at_the_limit_spread_over_the_articles(project):
    from triage.model import sample_weights

    articles = load_labels(project / "labels")
    copied = lambda limit: sorted({s.article for s, c in zip(*_samples_and_copies(articles, limit)) if c})
    every = copied(100)
    assert len(every) >= 3 and copied(0) == []
    two = copied(2)
    assert len(two) == 2 and set(two) <= set(every) and two == [every[0], every[-1]]  # the first and the last
    weights = sample_weights(articles, [float(n + 1) for n in range(len(articles))], story_copies=2)
    data = dataset(articles, story_copies=2)
    assert len(weights) == len(data.samples)
    # Each copy's paragraphs weigh what its article's do.
    assert all(w == -s.article for w, s, c in zip(weights, data.samples, data.copies) if c)


def _samples_and_copies(articles, limit):
    data = dataset(articles, story_copies=limit)
    return data.samples, data.copies or [False] * len(data.samples)
