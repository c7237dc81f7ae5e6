"""Why the model says what it says: feature weights, per class and per paragraph.

The first pass is a logistic regression over named features (word and
character n-grams after names and numbers are masked, layout and cue
features), so its decision is a sum of feature value times weight. A
feature's *weight toward a label* is its coefficient for that label minus its
mean coefficient over all labels: positive weights push toward the label,
negative ones away from it. With the neighbour second pass on, the final
scores also depend on the neighbouring paragraphs; :func:`explain_paragraphs`
says when that changed the first pass's label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.errors import ModelError
from triage.features import contexts
from triage.model import ClassifiedParagraph, Model
from triage.text import Paragraph


def _first_pass(model: Model):
    pipeline = model.pipeline
    first = getattr(pipeline, "first_", pipeline)
    try:
        features = first.named_steps["features"]
        classifier = first.named_steps["classifier"]
        mask = first.named_steps["mask"]
    except (AttributeError, KeyError):
        raise ModelError("this model", "not a triage TF-IDF + logistic-regression pipeline", "retrain it") from None
    return mask, features, classifier


def _readable(name: str) -> str:
    """``words__police said`` -> ``word "police said"``; ``layout__stop_words`` -> ``layout stop_words``."""
    kind, _, feature = name.partition("__")
    if kind == "words":
        return f'word "{feature}"'
    if kind == "chars":
        return f'chars "{feature}"'
    if kind == "cues":
        return f"cue {feature.removeprefix('cue_')}"
    return f"{kind} {feature}"


def _reason(name: str, value: float) -> str:
    """A feature as a reason: a scaled layout or cue feature below its mean reads 'low ...'."""
    readable = _readable(name)
    if value < 0 and not name.startswith(("words__", "chars__")):
        return f"low {readable}"
    return readable


def _relative_weights(classifier) -> np.ndarray:
    coef = classifier.coef_
    if coef.shape[0] == 1:  # two labels: one row, for the second
        coef = np.vstack([-coef[0], coef[0]])
    return coef - coef.mean(axis=0, keepdims=True)


def top_features(model: Model, top: int = 20) -> dict[str, list[tuple[str, float]]]:
    """The ``top`` features pushing hardest toward each label, with their weights."""
    _, features, classifier = _first_pass(model)
    names = features.get_feature_names_out()
    weights = _relative_weights(classifier)
    out = {}
    for row, label in zip(weights, classifier.classes_):
        order = np.argsort(-row)[:top]
        out[str(label)] = [(_readable(str(names[j])), float(row[j])) for j in order]
    return out


@dataclass
class Explanation:
    paragraph: ClassifiedParagraph
    reasons: list[tuple[str, float]]
    """Features with the largest contribution toward the label, (name, value x weight)."""
    first_pass_label: str
    """The label from the paragraph's own features, before the neighbour pass."""


def explain_paragraphs(model: Model, paragraphs: list[Paragraph], top: int = 5) -> list[Explanation]:
    """Each paragraph's label and the ``top`` features that pushed it toward that label."""
    if not paragraphs:
        return []
    mask, features, classifier = _first_pass(model)
    classified = model.classify_paragraphs(paragraphs)
    matrix = features.transform(mask.transform(contexts([p.text for p in paragraphs])))
    matrix = matrix.tocsr() if hasattr(matrix, "tocsr") else np.asarray(matrix)
    names = features.get_feature_names_out()
    weights = _relative_weights(classifier)
    classes = [str(c) for c in classifier.classes_]
    first_labels = classifier.predict(matrix)
    out = []
    for i, result in enumerate(classified):
        row = classes.index(result.label) if result.label in classes else 0
        values = matrix[i].toarray().ravel() if hasattr(matrix, "tocsr") else matrix[i]
        contribution = values * weights[row]
        order = [j for j in np.argsort(-contribution)[:top] if contribution[j] > 0]
        reasons = [(_reason(str(names[j]), values[j]), float(contribution[j])) for j in order]
        out.append(Explanation(result, reasons, str(first_labels[i])))
    return out
