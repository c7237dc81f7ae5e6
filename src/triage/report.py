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
}


def format_benchmark(result: dict[str, Any]) -> str:
    """The report of :func:`triage.evaluate.evaluate_benchmark`."""
    filters = result["filters"]
    width = max(len(_FILTERS.get(k, k)) for k in filters)
    lines = [
        f"AEB boilerplate benchmark: {result['pages']} pages, {result['lines']} lines "
        f"(drop threshold {result['threshold']:.3f})",
        "",
        f"{'':{width}}  body F1  (+/- sd)  body P  body R  line P  line R  line F1",
    ]
    for key, fig in filters.items():
        body, line = fig["body"], fig["line"]
        lines.append(
            f"{_FILTERS.get(key, key):{width}}  {body['f1']:7.3f}  ({body['f1_std']:5.3f})  "
            f"{body['precision']:6.3f}  {body['recall']:6.3f}  "
            f"{line['precision']:6.3f}  {line['recall']:6.3f}  {line['f1']:7.3f}"
        )
    lines += [
        "",
        "body: the benchmark's 4-token shingle metric, mean over pages; line: kept lines "
        "against the gold content lines, pooled.",
        f"({result['seconds']:.0f} s)",
    ]
    return "\n".join(lines)
