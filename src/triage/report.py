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
