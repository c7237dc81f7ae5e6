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
    """The full report of :func:`triage.evaluate.evaluate_labels`."""
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
    """The report of :func:`triage.benchmark.evaluate_body`."""
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
    """The report of :func:`triage.benchmark.evaluate_paragraphs`."""
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

def _spread(values: list[int]) -> str:
    """``"5"`` when every fold has the same count, ``"78-80"`` otherwise."""
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def format_learning_curve(result: dict[str, Any]) -> str:
    """The report of :func:`triage.curve.learning_curve`: one row per step."""
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
