"""triage: label the paragraphs of incident reports.

>>> from triage import load_model
>>> model = load_model()
>>> [p.label for p in model.classify(open("report.txt").read())]  # doctest: +SKIP

Heavy modules (scikit-learn, joblib) load on first use, so that importing
triage, and ``triage --help``, stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "ClassifiedParagraph",
    "Model",
    "ModelSettings",
    "Paragraph",
    "TriageError",
    "decode_bytes",
    "load_labels",
    "load_model",
    "read_text",
    "save_model",
    "split_paragraphs",
    "train",
]

_HOMES = {
    "ClassifiedParagraph": "triage.model",
    "Model": "triage.model",
    "ModelSettings": "triage.model",
    "Paragraph": "triage.text",
    "TriageError": "triage.errors",
    "decode_bytes": "triage.text",
    "load_labels": "triage.labelling.files",
    "load_model": "triage.api",
    "read_text": "triage.text",
    "save_model": "triage.persist",
    "split_paragraphs": "triage.text",
    "train": "triage.api",
}

if TYPE_CHECKING:
    from triage.api import load_model, train
    from triage.errors import TriageError
    from triage.labelling.files import load_labels
    from triage.model import ClassifiedParagraph, Model, ModelSettings
    from triage.persist import save_model
    from triage.text import Paragraph, decode_bytes, read_text, split_paragraphs


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'triage' has no attribute {name!r}")
