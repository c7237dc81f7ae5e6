"""Evaluation: baselines, the drop threshold, abstaining, and the evaluate command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import SEED_NAMES, make_project
from test_aeb import write_benchmark
from triage.cli.app import app
from triage.errors import InputError
from triage.evaluation.benchmarks import evaluate_body, evaluate_paragraphs
from triage.evaluation.evaluate import baseline_predictions, model_keep
from triage.labelling.files import LabelledArticle, load_labels
from triage.model import ClassifiedParagraph, Model, choose_boilerplate_threshold
from triage.persist import load_model_file
from triage.text import split_paragraphs

runner = CliRunner()

LONG = "The police said on Monday that the two men had been held overnight at the station in the city centre."


def article(name: str, rows: list[tuple[str, str]]) -> LabelledArticle:
    paragraphs = split_paragraphs("\n".join(text for _, text in rows))
    return LabelledArticle(
        name=name,
        label_path=Path(f"{name}.csv"),
        article_path=Path(f"{name}.txt"),
        paragraphs=paragraphs,
        labels={i: label for i, (label, _) in enumerate(rows)},
    )


ARTICLES = [
    article("a", [("boilerplate", "Home"), ("attack", LONG), ("attack", LONG + " Two died.")]),
    article("b", [("boilerplate", "Share"), ("state_response", LONG + " Again."), ("boilerplate", "Menu")]),
    article("c", [("social_context", LONG + " Later."), ("boilerplate", "Sign in")]),
]


# --- baselines ---


def test_majority_baseline_uses_only_the_other_articles():
    predicted = baseline_predictions(ARTICLES, "majority")
    # Without "a": boilerplate 3, others 1 each. Without "b": attack 2 = boilerplate 2,
    # a tie the guide's order breaks for attack. Without "c": boilerplate 3.
    assert predicted == ["boilerplate"] * 3 + ["attack"] * 3 + ["boilerplate"] * 2


def test_length_rule_calls_short_paragraphs_boilerplate_and_the_rest_the_usual_story_label():
    predicted = baseline_predictions(ARTICLES, "length_rule")
    # The story label comes from the other articles: without "a" state_response and
    # social_context tie (the guide's order picks state_response); otherwise attack.
    assert predicted[:3] == ["boilerplate", "state_response", "state_response"]
    assert predicted[3:6] == ["boilerplate", "attack", "boilerplate"]
    assert predicted[6:] == ["attack", "boilerplate"]


def test_justext_baseline_drops_navigation_and_keeps_prose():
    pytest.importorskip("justext")
    prose = article(
        "d",
        [("boilerplate", "Home"), ("attack", LONG + " " + LONG), ("boilerplate", "Contact us")],
    )
    predicted = baseline_predictions([prose, ARTICLES[0]], "justext")
    assert predicted[:3] == ["boilerplate", "attack", "boilerplate"]


def test_unknown_baseline():
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_predictions(ARTICLES, "oracle")


# --- the drop threshold and abstaining ---


def test_threshold_keeps_the_asked_share_of_content():
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0.0, 1.0, 200), rng.uniform(0.6, 1.0, 100)])
    is_boilerplate = np.array([False] * 200 + [True] * 100)
    threshold = choose_boilerplate_threshold(p, is_boilerplate, content_recall=0.98)
    kept = p[~is_boilerplate] < threshold
    assert kept.mean() >= 0.98
    # and it is the lowest such threshold: one step lower would drop too much
    assert (p[~is_boilerplate] < np.nextafter(threshold, 0) - 1e-12).mean() < 0.98 or threshold == 0.5


def test_threshold_is_never_below_one_half():
    assert choose_boilerplate_threshold(np.array([0.1, 0.9]), np.array([False, True])) == 0.5
    assert choose_boilerplate_threshold(np.array([0.9]), np.array([True])) == 0.5


def test_threshold_when_content_scores_high():
    p = np.array([0.95] * 10 + [0.2] * 90 + [0.99] * 5)
    is_boilerplate = np.array([False] * 100 + [True] * 5)
    threshold = choose_boilerplate_threshold(p, is_boilerplate, content_recall=0.95)
    assert threshold > 0.95  # dropping at 0.95 would lose 10% of the content


def paragraph(scores: dict[str, float]) -> ClassifiedParagraph:
    label = max(scores, key=scores.get)
    return ClassifiedParagraph(0, 0, 1, "x", label, scores[label], scores)


def test_model_drops_boilerplate_only_above_its_threshold():
    model = Model(pipeline=None, metadata={"boilerplate_threshold": 0.8})
    assert model.drop_threshold == 0.8
    scores = {"attack": 0.1, "state_response": 0.1, "social_context": 0.1}
    assert model.drops(paragraph({**scores, "boilerplate": 0.85}))
    assert not model.drops(paragraph({**scores, "boilerplate": 0.7}))
    assert model.drops(paragraph({**scores, "boilerplate": 0.7}), threshold=0.5)
    assert not model.drops(paragraph({"attack": 0.6, "boilerplate": 0.4}), threshold=0.3)
    assert Model(pipeline=None).drop_threshold == 0.5


def test_min_score_labels_unsure_paragraphs_uncertain(model_path):
    model = load_model_file(model_path)
    text = "Gunmen stormed the hotel and killed four guests.\nShare this article\nThe weather was mild."
    plain = model.classify(text)
    unsure = model.classify(text, min_score=1.0)
    assert [p.label == "uncertain" for p in unsure] == [p.score < 1.0 for p in plain]
    assert any(p.label == "uncertain" for p in unsure)
    assert [p.scores for p in unsure] == [p.scores for p in plain]
    assert [p.label for p in model.classify(text, min_score=0.0)] == [p.label for p in plain]


def test_cli_min_score_and_drop_use_the_threshold(model_path, tmp_path):
    article_path = tmp_path / "a.txt"
    lines = [
        "Accessibility links",
        "Gunmen stormed the hotel on Sunday night and killed four guests, witnesses said.",
        "Police cordoned off the area and arrested two suspects.",
    ]
    article_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(*options: str, model: Path = model_path) -> list[str]:
        out = runner.invoke(app, ["classify", "--model", str(model), *options, str(article_path)])
        assert out.exit_code == 0, out.output
        return out.stdout.splitlines()

    rows = [json.loads(line) for line in run("--format", "jsonl")]
    assert rows[0]["label"] == "boilerplate" and rows[1]["label"] != "boilerplate"
    unsure = [json.loads(line) for line in run("--format", "jsonl", "--min-score", "1")]
    assert [r["label"] == "uncertain" for r in unsure] == [r["score"] < 1 for r in rows]

    def kept_with_threshold(threshold: float) -> list[str]:
        from triage.persist import save_model

        model = load_model_file(model_path)
        model.metadata["boilerplate_threshold"] = threshold
        path = save_model(model, tmp_path / f"m{threshold}.joblib")
        return run("--format", "text", "--drop", "boilerplate", model=path)

    assert kept_with_threshold(0.5) == lines[1:]
    above = rows[0]["scores"]["boilerplate"] + 1e-6
    assert kept_with_threshold(above) == lines
    # --min-score does not change what --drop boilerplate drops
    assert run("--format", "text", "--drop", "boilerplate", "--min-score", "1") == lines[1:]


def test_min_score_out_of_range(model_path, tmp_path):
    result = runner.invoke(app, ["classify", "--model", str(model_path), "--min-score", "2", "-"], input="x\n")
    assert result.exit_code == 2


# --- triage evaluate ---


def test_evaluate_reports_the_model_and_the_baselines(tmp_path):
    pytest.importorskip("justext")
    labels = make_project(tmp_path / "three", SEED_NAMES[:3]) / "labels"
    result = runner.invoke(app, ["evaluate", "--labels", str(labels), "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["n_articles"] == 3
    assert set(figures["baselines"]) == {"majority", "length_rule", "justext"}
    n = figures["n_paragraphs"]
    for fig in [figures["model"], *figures["baselines"].values()]:
        assert fig["n_paragraphs"] == n and sum(map(sum, fig["confusion"])) == n
        assert 0.0 <= fig["macro_f1"] <= 1.0
    assert 0.5 <= figures["boilerplate_threshold"] <= 1.0

    text = runner.invoke(app, ["evaluate", "--labels", str(labels), "--no-justext"])
    assert text.exit_code == 0
    assert "Leave-one-article-out cross-validation: 3 articles" in text.stdout
    assert "majority class" in text.stdout and "length rule" in text.stdout
    assert "jusText" not in text.stdout


def test_evaluate_plots_the_confusion_matrix(tmp_path):
    pytest.importorskip("matplotlib")
    labels = make_project(tmp_path / "two", SEED_NAMES[:2]) / "labels"
    png = tmp_path / "cm.png"
    result = runner.invoke(app, ["evaluate", "--labels", str(labels), "--no-justext", "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_option_clashes(tmp_path):
    result = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "m.joblib")])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: --model: cross-validation trains its own models; use it with --benchmark"


PAGES = {
    "p1": [
        ("boilerplate", "Home"),
        ("boilerplate", "Sign in"),
        ("content", "Gunmen stormed a hotel in the capital on Sunday and killed four guests, the police said."),
        ("content", "Officers arrested two suspects after a chase through the old town later that night."),
        ("boilerplate", "\u200b"),
        ("boilerplate", "Share this article"),
    ]
}


def test_model_keep_drops_what_the_model_calls_boilerplate(model_path):
    model = load_model_file(model_path)
    lines = [line for _, line in PAGES["p1"]]
    kept = model_keep(model, lines)
    assert kept[4] is False  # nothing visible: dropped without asking the model
    results = model.classify_paragraphs(split_paragraphs("\n".join(lines[:4] + lines[5:])))
    assert kept[:4] + kept[5:] == [not model.drops(r) for r in results]
    assert model_keep(model, lines, threshold=1.01)[:4] == [True] * 4


def test_benchmark_on_a_small_folder(model_path, tmp_path):
    root = write_benchmark(
        tmp_path / "aeb",
        PAGES,
        bodies={"p1": {"articleBody": "\n".join(line for label, line in PAGES["p1"] if label == "content")}},
    )
    model = load_model_file(model_path)
    figures = evaluate_body(model, root, with_justext=False, bootstrap=0)
    assert set(figures["filters"]) == {"triage", "keep_all", "min_10_words"}
    assert figures["pages"] == 1 and figures["lines"] == 6
    assert figures["filters"]["min_10_words"]["line"]["f1"] == 1.0
    assert figures["filters"]["keep_all"]["line"]["precision"] == pytest.approx(2 / 6)

    result = runner.invoke(app, ["evaluate", "--benchmark", str(root), "--model", str(model_path), "--no-justext"])
    assert result.exit_code == 0, result.output
    assert f"{root}: boilerplate filter, 1 pages from text, 6 lines" in result.stdout
    assert "triage classify --drop boilerplate" in result.stdout and ">= 10 words" in result.stdout

    # A threshold above every score keeps every visible line: the knob reaches the filter.
    keep_all = evaluate_body(model, root, with_justext=False, bootstrap=0, threshold=1.0 + 1e-9)
    assert keep_all["filters"]["triage"]["line"] == keep_all["filters"]["keep_all"]["line"]
    result = runner.invoke(
        app, ["evaluate", "--benchmark", str(root), "--model", str(model_path), "--no-justext", "--drop-threshold", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "(drop threshold 0.000)" in result.stdout


MUC_LIKE = {
    "m1": [
        ("attack", "LIMA, 9 JAN 90 (AGENCY) -- [TEXT] GUNMEN SHOT DEAD TWO GUARDS AT A BANK ON MONDAY NIGHT."),
        ("state_response", "POLICE ARRESTED FOUR SUSPECTS AND SEALED OFF THE DISTRICT."),
        ("boilerplate", "[PASSAGE OMITTED]"),
    ],
    "m2": [("social_context", "THE OPPOSITION SAID THE ELECTION CAMPAIGN WOULD GO ON DESPITE THE ECONOMIC CRISIS.")],
}


def test_paragraph_benchmark_scores_every_paragraph_as_given_and_lower_cased(model_path, tmp_path):
    root = write_benchmark(tmp_path / "muc", MUC_LIKE)
    (root / "ground-truth.json").unlink()  # a paragraph-label folder needs no bodies
    model = load_model_file(model_path)
    figures = evaluate_paragraphs(model, root)
    assert figures["pages"] == 2 and figures["paragraphs"] == 4
    for view in ("as_is", "lower_cased"):
        assert sum(figures[view]["support"].values()) == 4
        assert 0.0 <= figures[view]["calibration"]["ece"] <= 1.0
    # The majority baseline falls back on the model's most frequent training label.
    counts = model.metadata["label_counts"]
    majority = max(counts, key=counts.get)
    assert figures["baselines"]["majority"]["support"] == figures["as_is"]["support"]
    assert figures["baselines"]["majority"]["recall"][majority] == 1.0

    result = runner.invoke(app, ["evaluate", "--benchmark", str(root), "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "2 reports, 4 labelled paragraphs" in result.stdout and "lower-cased" in result.stdout
    result = runner.invoke(app, ["evaluate", "--benchmark", str(root), "--model", str(model_path), "--html"])
    assert result.exit_code == 2 and "has paragraph labels" in result.output


def test_benchmark_with_unknown_labels_is_refused(model_path, tmp_path):
    root = write_benchmark(tmp_path / "odd", {"p": [("spam", "Buy now")]})
    result = runner.invoke(app, ["evaluate", "--benchmark", str(root), "--model", str(model_path)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: ") and "neither triage's nor content/boilerplate" in result.output


def test_benchmark_folder_missing(model_path, tmp_path):
    result = runner.invoke(app, ["evaluate", "--benchmark", str(tmp_path / "none"), "--model", str(model_path)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: ")
    assert "none: no such folder; give a folder in the layout of shared/benchmarks/" in result.output


@pytest.fixture
def folds_used(monkeypatch):
    """Each (train, test) fold triage's cross-validation fits, as article names; the fit itself is skipped.

    The fold function is replaced by one that records which articles its indexes
    point at (through each sample's own article number, not triage's groups) and
    answers "boilerplate" for every held-out paragraph: the folds are what is tested.
    """
    import triage.model
    from triage.features.context import source_article
    from triage.model import LABELS

    used = []

    def recording_fold(data, train_idx, test_idx, settings):
        articles = [data.samples[i].article for i in train_idx]
        # A story copy (article -1 - n) counts as the article n it was made of.
        used.append(
            (
                [source_article(a) for a in articles if a >= 0],
                [data.samples[i].article for i in test_idx],
                {source_article(a) for a in articles if a < 0},
            )
        )
        out = np.zeros((len(test_idx), len(LABELS)))
        out[:, LABELS.index("boilerplate")] = 1.0
        return out

    monkeypatch.setattr(triage.model, "_fold_probabilities", recording_fold)
    return used


def _check_folds(used, articles, *, n_folds):
    names = [a.name for a in articles]
    n_labelled = sum(len(a.labels) for a in articles)
    assert len(used) == n_folds
    tested = []
    for train, test, copies in used:
        assert test, "a fold with nothing held out"
        assert set(train).isdisjoint(test), "an article on both sides of a fold"
        assert copies <= set(train), "a held-out article's story copy trained on"
        # The training side is every labelled paragraph of the other articles.
        assert len(train) + len(test) == n_labelled
        tested += sorted(set(test))
    # Every article is held out in exactly one fold.
    assert sorted(names[i] for i in tested) == sorted(names)


def test_evaluate_holds_out_one_whole_article_per_fold(project, folds_used):
    """triage evaluate's cross-validation on the shipped seed labels: one fold per article, none split."""
    from triage.evaluation.evaluate import evaluate_labels

    articles = [a for a in load_labels(project / "labels") if a.labels]
    assert len(articles) >= 3
    figures = evaluate_labels(project / "labels", baselines=(), n_jobs=1)
    _check_folds(folds_used, articles, n_folds=len(articles))
    assert all(len(set(test)) == 1 for _, test, _ in folds_used)
    # The figures are those of the folds' predictions: every paragraph once, all "boilerplate" here.
    assert figures["model"]["n_paragraphs"] == sum(len(a.labels) for a in articles)
    assert figures["model"]["accuracy"] == pytest.approx(
        sum(v == "boilerplate" for a in articles for v in a.labels.values()) / figures["model"]["n_paragraphs"]
    )


def test_fewer_folds_still_keep_each_article_on_one_side(project, folds_used):
    from triage.model import cross_validate

    articles = load_labels(project / "labels")
    result = cross_validate(articles, n_jobs=1, folds=2)
    _check_folds(folds_used, articles, n_folds=2)
    assert len(result.predicted) == sum(len(a.labels) for a in articles)


def test_calibration_of_perfect_and_overconfident_scores():
    from triage.evaluation.evaluate import calibration

    truth = ["attack", "boilerplate", "attack", "state_response"]
    perfect = np.eye(4)[[0, 3, 0, 1]]
    figures = calibration(perfect, truth)
    assert figures["ece"] == 0.0 and figures["brier"] == 0.0
    assert all(row["coverage"] == 1.0 and row["accuracy"] == 1.0 for row in figures["abstain"])

    wrong = np.full((4, 4), 0.02)
    wrong[:, 2] = 0.94  # always social_context, 94% sure, never right
    figures = calibration(wrong, truth)
    assert figures["ece"] == pytest.approx(0.94)
    half = np.array([[0.55, 0.45, 0, 0]] * 2 + [[0.95, 0.05, 0, 0]] * 2)
    coverage = {row["min_score"]: (row["coverage"], row["accuracy"]) for row in calibration(half, ["attack", "state_response", "attack", "attack"])["abstain"]}
    assert coverage[0.5] == (1.0, 0.75)
    assert coverage[0.9] == (0.5, 1.0)


# --- triage evaluate --learning-curve ---

OWN = {
    "own_a": [
        ("attack", "Gunmen opened fire on a crowded minibus near the river market on Tuesday, killing three passengers."),
        ("state_response", "The provincial governor ordered a curfew and sent two army units to guard the market roads."),
        ("boilerplate", "Share this story"),
    ],
    "own_b": [
        ("social_context", "Traders in the valley say the fighting has halved the price of maize since the harvest began."),
        ("attack", "A roadside bomb struck a police truck outside the town, wounding four officers, witnesses said."),
        ("boilerplate", "Read more"),
    ],
    "own_c": [
        ("state_response", "Prosecutors charged six men with murder and said more arrests would follow this week."),
        ("social_context", "The killings come weeks before local elections that opposition parties have threatened to boycott."),
    ],
    "own_d": [
        ("attack", "Armed men burned a village school overnight and abducted the headmaster, a local official said."),
        ("state_response", "Soldiers searched the hills around the village on Wednesday but made no arrests."),
        ("boilerplate", "Sign up for our newsletter"),
    ],
}


def write_own(folder: Path, articles: dict[str, list[tuple[str, str]]] = OWN) -> Path:
    """A labels folder of one's own: ``<name>.txt`` and ``<name>.csv`` side by side."""
    from triage.labelling.files import write_labels

    folder.mkdir(parents=True)
    for name, rows in articles.items():
        text = "\n\n".join(line for _, line in rows) + "\n"
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        paragraphs = split_paragraphs(text)
        assert len(paragraphs) == len(rows)
        write_labels(folder / f"{name}.csv", paragraphs, {i: label for i, (label, _) in enumerate(rows)})
    return folder


@pytest.fixture
def curve_folders(tmp_path):
    """(shipped labels folder, own labels folder): two seeds shipped, the four OWN articles."""
    shipped = make_project(tmp_path / "shipped", SEED_NAMES[:2]) / "labels"
    return shipped, write_own(tmp_path / "mine")


@pytest.fixture
def fit_calls(monkeypatch):
    """Every fit the learning curve makes: the names and weights of the articles it trained on."""
    from triage.evaluation import curve

    calls = []

    def recording_fit(articles, settings=None, *, article_weights=None):
        calls.append(([a.name for a in articles], article_weights))
        return real_fit(articles, settings, article_weights=article_weights)

    real_fit = curve.fit
    monkeypatch.setattr(curve, "fit", recording_fit)
    return calls


@pytest.mark.slow
def test_learning_curve_rows_caps_and_never_tests_a_trained_article(curve_folders, fit_calls):
    from triage.evaluation.curve import learning_curve

    shipped, own = curve_folders
    result = learning_curve(shipped, own, steps=[5, 0, 1], folds=2, n_jobs=1)
    assert result["method"] == "article-grouped K-fold over the own articles"
    assert result["folds"] == 2 and not result["loao"] and result["own_layout"] == "labels"
    assert [row["step"] for row in result["steps"]] == [0, 1, 5]
    # Two articles per fold leave two to train on: step 5 is capped to 2.
    assert [row["own_articles"] for row in result["steps"]] == [[0, 0], [1, 1], [2, 2]]
    assert [row["capped"] for row in result["steps"]] == [False, False, True]
    n_own = sum(len(rows) for rows in OWN.values())
    assert result["own_paragraphs"] == n_own
    shipped_names = SEED_NAMES[:2]
    fits = [names for names, _ in fit_calls]
    # Step 0 is one model for both folds (the shipped labels alone); then two per step.
    assert len(fit_calls) == result["fits"] == 5
    for row in result["steps"]:
        assert sum(row["figures"]["support"].values()) == n_own  # every own paragraph, once
        tests = [set(fold["test"]) for fold in row["folds"]]
        assert set().union(*tests) == set(OWN) and sum(map(len, tests)) == len(OWN)
        for fold, used in zip(row["folds"], row["own_articles"]):
            assert not set(fold["test"]) & set(fold["train"])
            assert len(fold["train"]) == used
            # The fold's predictions came from a fit on exactly these articles, none of them tested.
            assert shipped_names + fold["train"] in fits
        own_trained = [set(names) - set(shipped_names) for names in fits]
        assert any(trained == set(row["folds"][0]["train"]) for trained in own_trained)
    # The order is fixed: a larger step extends the smaller one's training articles.
    for fold in range(2):
        one, five = result["steps"][1]["folds"][fold]["train"], result["steps"][2]["folds"][fold]["train"]
        assert five[:1] == one
    again = learning_curve(shipped, own, steps=[0, 1, 5], folds=2, n_jobs=1)
    assert [row["folds"] for row in again["steps"]] == [row["folds"] for row in result["steps"]]
    assert [row["figures"] for row in again["steps"]] == [row["figures"] for row in result["steps"]]


def test_learning_curve_with_one_fold_per_article_is_leave_one_article_out(curve_folders, fit_calls):
    from triage.evaluation.curve import learning_curve

    shipped, own = curve_folders
    result = learning_curve(shipped, own, steps=[3], folds=9, n_jobs=1)
    assert result["folds"] == 4 and result["folds_asked"] == 9 and result["loao"]
    row = result["steps"][0]
    assert [len(fold["test"]) for fold in row["folds"]] == [1, 1, 1, 1]
    assert all(sorted(fold["test"] + fold["train"]) == sorted(OWN) for fold in row["folds"])


def test_own_weight_is_passed_to_the_fit(curve_folders, fit_calls):
    from triage.evaluation.curve import learning_curve

    shipped, own = curve_folders
    learning_curve(shipped, own, steps=[0, 2], folds=2, own_weight=3.0, n_jobs=1)
    weights = {len(names): w for names, w in fit_calls}
    assert weights[2] is None  # the shipped labels alone: nothing to weigh
    assert weights[4] == [1.0, 1.0, 3.0, 3.0]
    fit_calls.clear()
    learning_curve(shipped, own, steps=[2], folds=2, n_jobs=1)
    assert [w for _, w in fit_calls] == [None, None]  # weight 1 fits exactly as triage train does


@pytest.mark.parametrize(
    "settings",
    [{}, {"neighbours": False}, {"two_stage": True}],
    ids=["shipped", "no-neighbours", "two-stage"],
)
def test_article_weights_reach_the_regressions(settings, tmp_path):
    from triage.model import ModelSettings, dataset, fit

    articles = load_labels(make_project(tmp_path / "three", SEED_NAMES[:3]) / "labels")
    chosen = ModelSettings(**settings)
    samples = dataset(articles).samples
    plain = fit(articles, chosen).predict_proba(samples)
    ones = fit(articles, chosen, article_weights=[1.0, 1.0, 1.0]).predict_proba(samples)
    heavy = fit(articles, chosen, article_weights=[10.0, 1.0, 1.0]).predict_proba(samples)
    np.testing.assert_allclose(ones, plain, atol=1e-6)
    assert np.abs(heavy - plain).max() > 1e-3
    with pytest.raises(ValueError, match="2 article weights for 3 articles"):
        fit(articles, chosen, article_weights=[1.0, 1.0])


def test_every_regression_of_the_pipeline_is_weighted(tmp_path, monkeypatch):
    import joblib
    from sklearn.linear_model import LogisticRegression

    from triage.model import fit

    weighted = []
    real = LogisticRegression.fit

    def spy(self, X, y, sample_weight=None):
        weighted.append(sample_weight is not None)
        return real(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    articles = load_labels(make_project(tmp_path / "three", SEED_NAMES[:3]) / "labels")
    with joblib.parallel_config(backend="threading"):  # the spy sees the inner folds' fits too
        fit(articles, article_weights=[2.0, 1.0, 1.0])
    # Three inner folds and the final fit of the first pass, then the second pass.
    assert weighted == [True] * 5


def test_learning_curve_reads_a_benchmark_folder(curve_folders):
    from triage.evaluation.curve import learning_curve, load_own

    pages = MUC_LIKE | {"m3": [("attack", "REBELS BLEW UP A POWER PYLON.")]}
    root = write_benchmark(curve_folders[1].parent / "bench", pages)
    (root / "ground-truth.json").unlink()  # paragraph labels need no bodies
    articles, layout = load_own(root)
    assert layout == "benchmark" and [a.name for a in articles] == ["m1", "m2", "m3"]
    assert [a.texts for a in articles][0] == [line for _, line in MUC_LIKE["m1"]]
    assert articles[0].labels == {0: "attack", 1: "state_response", 2: "boilerplate"}
    result = learning_curve(curve_folders[0], root, steps=[0, 2], folds=3, n_jobs=1)
    assert result["own_layout"] == "benchmark" and result["own_paragraphs"] == 5 and result["loao"]
    assert [row["own_articles"] for row in result["steps"]] == [[0, 0, 0], [2, 2, 2]]


def test_learning_curve_command_table_json_and_plot(curve_folders, tmp_path):
    pytest.importorskip("matplotlib")
    shipped, own = curve_folders
    png = tmp_path / "curve.png"
    args = ["evaluate", "--learning-curve", "--labels", str(shipped), "--own", str(own), "--steps", "0,5", "--folds", "2"]
    result = runner.invoke(app, [*args, "--own-weight", "2", "--plot", str(png)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "article-grouped 2-fold cross-validation over the own articles" in out
    assert "leave-one-article-out" in out and "own paragraphs weighted 2" in out
    table = out.split("macro-F1", 1)[1].splitlines()[1:3]
    assert table[0].split()[:3] == ["0", "0", "0"]
    assert table[1].split()[:2] == ["5", "2*"]  # capped: two own articles outside each fold
    assert "*: capped" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert [row["step"] for row in figures["steps"]] == [0, 5] and figures["own_weight"] == 1.0
    assert 0.0 <= figures["steps"][1]["figures"]["macro_f1"] <= 1.0


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--own", "{tmp}/none"], "Error: --own {tmp}/none: no such folder; give a labels folder"),
        (["--own", "{tmp}/empty"], "Error: {tmp}/empty: has no label files (*.csv); label some articles first"),
        (["--own", "{tmp}/one"], "Error: --own {tmp}/one: 1 labelled article(s); a learning curve needs at least 2"),
        (["--own", "{tmp}/mine", "--steps", "0,x"], "Error: --steps: 'x' is not a whole number of articles"),
        (["--own", "{tmp}/mine", "--steps", "0,-5"], "Error: --steps: '-5' is not a whole number of articles"),
        (["--own", "{tmp}/mine", "--steps", ""], "Error: --steps: '' is not a whole number of articles"),
        (["--own", "{tmp}/mine", "--folds", "1"], "Error: --folds 1: a learning curve needs at least 2 folds"),
        (["--own", "{tmp}/mine", "--own-weight", "0"], "Error: --own-weight 0.0: expected a weight above 0"),
        (["--own", "{tmp}/mine", "--plot", "{tmp}/c.jpg"], "Error: --plot {tmp}/c.jpg: expected a file name ending in .png or .svg"),
        (["--own", "{tmp}/mine", "--plot", "{tmp}/no/c.png"], "Error: {tmp}/no/c.png: folder {tmp}/no does not exist"),
        (["--own", "{tmp}/mine", "--model", "m.joblib"], "Error: --model: not used by --learning-curve (it trains its own models"),
        (["--own", "{tmp}/shipped/labels"], "Error: own article"),
        ([], "Error: --learning-curve: needs --own DIR"),
    ],
)
def test_learning_curve_errors_are_one_line(curve_folders, tmp_path, extra, message):
    shipped, own = curve_folders
    (tmp_path / "empty").mkdir()
    write_own(tmp_path / "one", {"own_a": OWN["own_a"]})
    args = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    result = runner.invoke(app, ["evaluate", "--learning-curve", "--labels", str(shipped), *args])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.replace("{tmp}", str(tmp_path))), result.output


def test_curve_options_need_the_learning_curve(curve_folders):
    result = runner.invoke(app, ["evaluate", "--own", str(curve_folders[1])])
    assert result.exit_code == 2 and result.output.strip() == "Error: --own: needs --learning-curve"


def test_content_boilerplate_benchmark_is_refused_as_own(curve_folders, tmp_path):
    from triage.evaluation.curve import load_own

    root = write_benchmark(tmp_path / "aeb", PAGES)
    with pytest.raises(InputError, match="its gold labels are content/boilerplate; training needs triage's four"):
        load_own(root)
