"""Plain-text rendering of evaluation figures; no scikit-learn here."""

from __future__ import annotations

from typing import Any


def format_evaluation(figures: dict[str, Any], *, title: str) -> str:
    """Render an :class:`~triage.model.Evaluation` (as a dict) as a text report."""
    labels = figures["labels"]
    width = max(len(label) for label in labels + ["macro avg"])
    lines = [
        f"{title}: {figures['n_articles']} articles, {figures['n_paragraphs']} paragraphs",
        "",
        f"{'':{width}}  precision  recall     f1  support",
    ]
    for label in labels:
        lines.append(
            f"{label:{width}}  {figures['precision'][label]:9.3f}  {figures['recall'][label]:6.3f}"
            f"  {figures['f1'][label]:5.3f}  {figures['support'][label]:7d}"
        )
    lines += [
        "",
        f"{'macro-F1':{width}}  {figures['macro_f1']:.3f}",
        f"{'accuracy':{width}}  {figures['accuracy']:.3f}",
        "",
        "confusion matrix (rows: true label, columns: predicted)",
    ]
    short = [label[:14] for label in labels]
    col = max(len(s) for s in short)
    lines.append(f"{'':{width}}  " + "  ".join(f"{s:>{col}}" for s in short))
    for label, row in zip(labels, figures["confusion"]):
        lines.append(f"{label:{width}}  " + "  ".join(f"{n:>{col}d}" for n in row))
    return "\n".join(lines)


_NAMES = {
    "model": "triage (this model)",
    "model_on_seeds": "triage, seed articles only",
    "seeds_alone": "triage trained on seeds alone",
    "majority": "majority class",
    "length_rule": "length rule (<10 words)",
    "justext": "jusText on the text",
    "trafilatura": "trafilatura extract(html)",
    "readability": "readability-lxml on the HTML",
}


def format_comparison(result: dict[str, Any]) -> str:
    """One row per model or baseline: macro-F1, accuracy and F1 per class."""
    rows = [(key, result[key]) for key in ("model", "model_on_seeds", "seeds_alone") if key in result]
    rows += list(result.get("baselines", {}).items())
    short = {"attack": "attack", "state_response": "state", "social_context": "social", "boilerplate": "boiler"}
    width = max(len(_NAMES.get(k, k)) for k, _ in rows)
    header = f"{'':{width}}  macro-F1  accuracy  " + "  ".join(f"{short[l]:>6}" for l in short)
    header += "  boiler P  boiler R  paragraphs"
    lines = [header]
    for key, fig in rows:
        lines.append(
            f"{_NAMES.get(key, key):{width}}  {fig['macro_f1']:8.3f}  {fig['accuracy']:8.3f}  "
            + "  ".join(f"{fig['f1'].get(l, 0.0):6.3f}" for l in short)
            + f"  {fig['precision'].get('boilerplate', 0.0):8.3f}  {fig['recall'].get('boilerplate', 0.0):8.3f}"
            + f"  {fig['n_paragraphs']:10d}"
        )
    return "\n".join(lines)


def format_labels_evaluation(result: dict[str, Any]) -> str:
    """The full report of :func:`triage.evaluation.evaluate.evaluate_labels`."""
    parts = [
        format_evaluation(result["model"], title="Leave-one-article-out cross-validation"),
        "",
        "Per-class F1 beside the baselines (F1 columns; the same held-out articles)",
        format_comparison(result),
        "",
        f"Boilerplate drop threshold keeping 98% of story paragraphs: {result['boilerplate_threshold']:.3f}",
    ]
    if "calibration" in result:
        cal = result["calibration"]
        parts += [
            f"Calibration of the scores: expected calibration error {cal['ece']:.3f}, Brier {cal['brier']:.3f}",
            "--min-score  labelled  accuracy of those labelled",
        ]
        parts += [
            f"{row['min_score']:10.2f}  {row['coverage']:8.1%}  {row['accuracy']:.1%}" for row in cal["abstain"]
        ]
    if "model_on_seeds" in result:
        parts.append(
            "'seed articles only' counts the held-out predictions on the real seed reports; "
            "'trained on seeds alone' is a cross-validation among the seeds."
        )
    parts.append(f"({result['seconds']:.0f} s)")
    return "\n".join(parts)


_FILTERS = {
    "triage": "triage classify --drop boilerplate",
    "keep_all": "keep everything",
    "min_10_words": ">= 10 words",
    "justext": "jusText on the text",
    "trafilatura": "trafilatura extract(html)",
    "readability": "readability-lxml on the HTML",
}


def format_benchmark(result: dict[str, Any]) -> str:
    """The report of :func:`triage.evaluation.benchmarks.evaluate_body`."""
    filters = result["filters"]
    width = max(len(_FILTERS.get(k, k)) for k in filters)
    html = result.get("input") == "html"
    lines = [
        f"{result['benchmark']}: boilerplate filter, {result['pages']} pages from "
        f"{'their HTML' if html else 'text'}, {result['lines']} {'paragraphs' if html else 'lines'} "
        f"(drop threshold {result['threshold']:.3f})",
        "",
        f"{'':{width}}  body F1  (+/- sd)  body P  body R" + ("  pages/s" if html else "  line P  line R  line F1"),
    ]
    for key, fig in filters.items():
        body = fig["body"]
        row = (
            f"{_FILTERS.get(key, key):{width}}  {body['f1']:7.3f}  ({body['f1_std']:5.3f})  "
            f"{body['precision']:6.3f}  {body['recall']:6.3f}"
        )
        if not html:
            line = fig["line"]
            row += f"  {line['precision']:6.3f}  {line['recall']:6.3f}  {line['f1']:7.3f}"
        elif "pages_per_second" in fig:
            row += f"  {fig['pages_per_second']:7.1f}"
        lines.append(row)
    lines.append("")
    if html:
        stage = "markup and text (the HTML stage)" if result.get("html_stage") else "text alone (the model has no HTML stage)"
        lines.append(f"triage decided from {stage}.")
        for missing in result.get("not_run", []):
            lines.append(f"not run: {missing}")
    if "calibration" in result:
        c = result["calibration"]
        lines.append(
            f"keep/drop calibration: ECE {c['ece']:.3f}; {c['confident_share']:.1%} of lines scored >= 0.9, "
            f"{c['confident_accuracy']:.1%} of those right"
        )
    lines += [
        "body: the benchmark's 4-token shingle metric, mean over pages"
        + ("." if html else "; line: kept lines against the gold content lines, pooled."),
        f"({result['seconds']:.0f} s)",
    ]
    return "\n".join(lines)


def format_paragraph_benchmark(result: dict[str, Any]) -> str:
    """The report of :func:`triage.evaluation.benchmarks.evaluate_paragraphs`."""
    lines = [f"{result['benchmark']}: {result['pages']} reports, {result['paragraphs']} labelled paragraphs", ""]
    for view, title in (("as_is", "as given"), ("lower_cased", "lower-cased")):
        fig = result[view]
        c = fig["calibration"]
        lines.append(
            f"triage ({title}): macro-F1 {fig['macro_f1']:.3f}, accuracy {fig['accuracy']:.3f}; "
            + ", ".join(f"{label} {fig['f1'][label]:.3f}" for label in fig["labels"])
        )
        lines.append(
            f"  calibration: ECE {c['ece']:.3f}; {c['confident_share']:.1%} scored >= 0.9, "
            f"{c['confident_accuracy']:.1%} of those right"
        )
    for name, fig in result["baselines"].items():
        lines.append(f"{name.replace('_', ' ')}: macro-F1 {fig['macro_f1']:.3f}")
    lines += ["", "macro-F1 over the four labels, every paragraph counted once.", f"({result['seconds']:.0f} s)"]
    return "\n".join(lines)


def _side_names(folder_a: str, folder_b: str) -> tuple[str, str]:
    """What to call the two folders: their names, or their paths when the names are the same."""
    from pathlib import Path

    from triage.text import escape_controls

    a, b = Path(folder_a).name or folder_a, Path(folder_b).name or folder_b
    if a == b:
        a, b = folder_a, folder_b
    return escape_controls(a), escape_controls(b)


def _shortened(text: str, width: int = 70) -> str:
    return repr(text if len(text) <= width else text[: width - 3] + "...")


def _some(names: list[str], first: int = 3) -> str:
    from triage.text import escape_controls

    shown = ", ".join(escape_controls(n) for n in names[:first])
    return shown + (f" and {len(names) - first} more" if len(names) > first else "")


def format_agreement(figures: dict[str, Any], *, show: int = 20) -> str:
    """Render a :class:`~triage.labelling.agreement.Agreement` (as a dict) for people.

    A summary, one row per compared article, the confusion matrix (rows:
    folder A, columns: folder B), the first ``show`` disagreements with their
    text shortened, and what was left out of the comparison.
    """
    from triage.text import escape_controls

    name_a, name_b = _side_names(figures["folder_a"], figures["folder_b"])
    kappa = figures["kappa"]
    lines = [
        f"{name_a} (A) and {name_b} (B): {figures['articles']} articles compared, "
        f"{figures['paragraphs']} paragraphs labelled in both",
        f"agreement {figures['agreement']:.1%} ({figures['agreed']} of {figures['paragraphs']}), "
        f"Cohen's kappa {'undefined (one label on both sides)' if kappa is None else f'{kappa:.3f}'}",
        "",
    ]

    rows = figures["per_article"]
    width = max(len("article"), *(len(escape_controls(r["article"])) for r in rows))
    lines.append(f"{'article':{width}}  paragraphs  agreement  kappa")
    undefined = empty = False
    for row in rows:
        if row["agreement"] is None:
            agreement, kappa_cell, empty = "-", "-", True
        else:
            agreement = f"{row['agreement']:.1%}"
            kappa_cell = "undefined" if row["kappa"] is None else f"{row['kappa']:.3f}"
            undefined = undefined or row["kappa"] is None
        lines.append(f"{escape_controls(row['article']):{width}}  {row['paragraphs']:10d}  {agreement:>9}  {kappa_cell}")
    if undefined:
        lines.append("kappa undefined: both folders give every compared paragraph of the article one and the same label")
    if empty:
        lines.append("-: no paragraph of the article is labelled in both folders")

    confusion = figures["confusion"]
    labels = confusion["labels"]
    corner = f"{name_a} \\ {name_b}"
    first = max(len(corner), *(len(label) for label in labels))
    col = max(len(label) for label in labels)
    lines += ["", f"confusion matrix: rows {name_a} (A), columns {name_b} (B)"]
    lines.append(f"{corner:{first}}  " + "  ".join(f"{label:>{col}}" for label in labels))
    for label, row in zip(labels, confusion["matrix"]):
        lines.append(f"{label:{first}}  " + "  ".join(f"{n:>{col}d}" for n in row))

    disagreements = figures["disagreements"]
    lines += ["", f"disagreements: {len(disagreements)}" + (":" if disagreements and show else "")]
    for d in disagreements[:show]:
        lines.append(
            f"  {escape_controls(d['article'])} #{d['index']}: {name_a} {d['label_a']}, "
            f"{name_b} {d['label_b']}: {_shortened(d['text'])}"
        )
    if len(disagreements) > show:
        lines.append(f"  ... and {len(disagreements) - show} more (see --show, or --json for all)")

    left_out = []
    if figures["only_in_a"]:
        left_out.append(f"only in {name_a}: {len(figures['only_in_a'])} articles ({_some(figures['only_in_a'])})")
    if figures["only_in_b"]:
        left_out.append(f"only in {name_b}: {len(figures['only_in_b'])} articles ({_some(figures['only_in_b'])})")
    for item in figures["not_comparable"]:
        left_out.append(f"not comparable: {escape_controls(item['article'])}: {item['reason']}")
    one_sided = figures["one_sided"]
    if one_sided:
        in_a = sum(1 for o in one_sided if o["side"] == "a")
        left_out.append(
            f"labelled in one folder only: {len(one_sided)} paragraphs "
            f"({name_a} {in_a}, {name_b} {len(one_sided) - in_a})"
        )
    unsure = figures["unsure"]
    if unsure["a"] or unsure["b"]:
        left_out.append(f"labelled unsure: {name_a} {unsure['a']}, {name_b} {unsure['b']} paragraphs")
    if left_out:
        lines += ["", "left out of the figures:"] + [f"  {line}" for line in left_out]
    return "\n".join(lines)


def _spread(values: list[int]) -> str:
    """``"5"`` when every fold has the same count, ``"78-80"`` otherwise."""
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def format_learning_curve(result: dict[str, Any]) -> str:
    """The report of :func:`triage.evaluation.curve.learning_curve`: one row per step."""
    short = {"attack": "attack", "state_response": "state", "social_context": "social", "boilerplate": "boiler"}
    how = (
        f"leave-one-article-out ({result['folds']} folds, one per own article)"
        if result["loao"]
        else f"article-grouped {result['folds']}-fold cross-validation over the own articles "
        "(with one fold per article it would be leave-one-article-out)"
    )
    lines = [
        f"Learning curve on {result['own']} ({result['own_layout']} folder): "
        f"{result['own_articles']} own articles, {result['own_paragraphs']} labelled paragraphs",
        f"each model: the shipped labels ({result['shipped']}: {result['shipped_articles']} articles, "
        f"{result['shipped_paragraphs']} paragraphs) plus the first n own articles outside the test fold, "
        f"own paragraphs weighted {result['own_weight']:g}",
        f"figures: {how}, pooled out-of-fold predictions of every own paragraph; seed {result['seed']}",
    ]
    if result["folds"] < result["folds_asked"]:
        lines.append(f"({result['folds_asked']} folds asked; as many as there are own articles)")
    header = f"{'asked':>5}  {'own articles':>12}  {'own paragraphs':>14}  macro-F1  " + "  ".join(
        f"{name:>6}" for name in short.values()
    )
    lines += ["", header]
    for row in result["steps"]:
        figures = row["figures"]
        lines.append(
            f"{row['step']:>5}  {_spread(row['own_articles']) + ('*' if row['capped'] else ' '):>12}  "
            f"{_spread(row['own_paragraphs']):>14}  {figures['macro_f1']:8.3f}  "
            + "  ".join(
                f"{figures['f1'][label]:6.3f}" if figures["support"][label] else f"{'-':>6}" for label in short
            )
        )
    lines += ["", "own articles and paragraphs: trained on per fold (a range when the folds differ)."]
    if not all(result["steps"][0]["figures"]["support"].values()):
        lines.append("-: no own paragraph has that label (left out of the macro-F1).")
    if any(row["capped"] for row in result["steps"]):
        lines.append("*: capped; a fold has fewer own articles outside it than asked, and trains on all of them.")
    lines.append(f"({result['fits']} models fitted, {result['seconds']:.0f} s)")
    return "\n".join(lines)
