"""Moving labels between tools: ``triage labels export`` and ``triage labels import``.

doccano JSONL and Label Studio JSON, one record per paragraph, with the model's
prediction pre-filled on export; an import writes label files as ``triage label``
does, atomically, and keeps who answered the rows it does not change.
"""


from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from triage._atomic import AtomicFile, atomic_write_all, write_error
from triage.config import LABELS
from triage.errors import ArgumentError, InputError, LabelError
from triage.labelling.files import LabelledArticle, check_label_file, find_article, label_files, label_writer
from triage.text import normalise_space, read_text, split_paragraphs



FORMATS = ("doccano", "labelstudio")


def _choice(label: str) -> dict:
    return {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}


def export_records(articles: list[LabelledArticle], fmt: str, model=None) -> list[dict]:
    """Every paragraph of every article as a record of ``fmt``.

    Each record carries ``article``, ``index`` and ``text``; labelled paragraphs
    carry their label (doccano ``label``, Label Studio ``annotations``) and, with
    a ``model``, every paragraph carries its prediction and score (doccano
    ``prediction``/``score`` metadata, Label Studio ``predictions``).
    """
    if fmt not in FORMATS:
        raise ArgumentError(f"`fmt`: unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    records = []
    for article in articles:
        predicted = model.classify_paragraphs(article.paragraphs) if model is not None else None
        for p in article.paragraphs:
            label = article.labels.get(p.index)
            guess = predicted[p.index] if predicted is not None else None
            if fmt == "doccano":
                record = {
                    "text": p.text,
                    "label": [label] if label else [],
                    "article": article.name,
                    "index": p.index,
                }
                if guess is not None:
                    record["prediction"] = guess.label
                    record["score"] = round(guess.score, 4)
            else:
                record = {
                    "data": {"text": p.text, "article": article.name, "index": p.index},
                    "annotations": [{"result": [_choice(label)]}] if label else [],
                }
                if guess is not None:
                    record["predictions"] = [
                        {"model_version": "triage", "score": round(guess.score, 4), "result": [_choice(guess.label)]}
                    ]
            records.append(record)
    return records


def write_export(records: list[dict], fmt: str, path: Path | None, out) -> None:
    """doccano: one JSON object per line; Label Studio: one JSON list.

    Raises
    ------
    OutputError
        ``path`` is a folder, in a missing folder, or cannot be written.
    """
    if fmt == "doccano":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    if path is None:
        out.write(text)
        return
    try:
        with AtomicFile(path) as handle:
            handle.write(text)
    except OSError as exc:
        raise write_error(path, exc, fix="choose another -o") from None


def _read_records(path: Path) -> tuple[str, list]:
    """Records and their format, told from the content (a JSON list or JSON lines)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    stripped = raw.lstrip()
    if not stripped:
        raise InputError(f"{path}: is empty; give a doccano .jsonl or Label Studio .json export")
    if stripped.startswith("[") or (stripped.startswith("{") and "\n" in stripped.rstrip()):
        try:
            records = json.loads(raw)
        except RecursionError:
            raise InputError(f"{path}: nested too deeply to read; export it again") from None
        except json.JSONDecodeError as exc:
            if stripped.startswith("{"):  # JSON lines, one of which is broken: said below
                records = None
            else:
                raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}); export it again") from None
        except ValueError as exc:
            raise InputError(f"{path}: not valid JSON ({exc}); export it again") from None
        if isinstance(records, list):
            return "labelstudio", records
        if isinstance(records, dict):
            raise InputError(
                f"{path}: is one JSON object; expected a Label Studio list of tasks or doccano JSON lines "
                "(as 'triage labels export' writes them)"
            )
    records = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except RecursionError:
            raise InputError(f"{path} line {number}: nested too deeply to read; fix or remove the line") from None
        except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
            raise InputError(
                f"{path} line {number}: not valid JSON ({getattr(exc, 'msg', exc)}); fix or remove the line"
            ) from None
    return "doccano", records


_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_NAME_BYTES = 200  # a file name is at most 255 bytes, and the temporary file adds to it
_AS_EXPORTED = "as 'triage labels export' writes it"


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    for kind, name in ((str, "text"), (int, "a number"), (float, "a number"), (list, "a list"), (dict, "an object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _expect(value, kind: type, where: str, name: str, expected: str):
    """``value`` if it is of ``kind`` (a bool is no int here), else an InputError naming both."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"{where}: {name} is {_json_kind(value)}; expected {expected} ({_AS_EXPORTED})")
    return value


def _label_studio_choices(record: dict, where: str) -> tuple[list, dict]:
    """The chosen labels of a Label Studio task's last answer that was not cancelled, and its data."""
    data = _expect(record.get("data"), dict, where, "'data'", "an object with 'article', 'index' and 'text'")
    annotations = record.get("annotations")
    annotations = [] if annotations is None else _expect(annotations, list, where, "'annotations'", "a list")
    answers = []
    for answer in annotations:
        _expect(answer, dict, where, "an annotation", "an object with a 'result' list")
        if not answer.get("was_cancelled"):
            answers.append(answer)
    choices: list = []
    results = answers[-1].get("result") if answers else None
    for result in [] if results is None else _expect(results, list, where, "an annotation's 'result'", "a list"):
        _expect(result, dict, where, "a result", "an object with a 'value'")
        value = result.get("value")
        value = {} if value is None else _expect(value, dict, where, "a result's 'value'", "an object with 'choices'")
        chosen = value.get("choices")
        choices.extend([] if chosen is None else _expect(chosen, list, where, "'choices'", "a list of label names"))
    return choices, data


def _record_fields(record, fmt: str, where: str) -> tuple[str, int, str, str | None]:
    """(article, index, text, label or None) of one record."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object per paragraph, not {_json_kind(record)}")
    if fmt == "labelstudio":
        choices, fields = _label_studio_choices(record, where)
    else:
        labels = record.get("label", record.get("labels"))
        if labels is None:
            labels = []
        elif isinstance(labels, str):
            labels = [labels]
        choices, fields = _expect(labels, list, where, "'label'", "a list of label names"), record
    article, index, text = fields.get("article"), fields.get("index"), fields.get("text")
    if not isinstance(article, str) or not article or not isinstance(index, int) or isinstance(index, bool) \
            or not isinstance(text, str):
        raise InputError(f"{where}: needs 'article', 'index' and 'text' ({_AS_EXPORTED})")
    if len(choices) > 1:
        raise InputError(f"{where}: has {len(choices)} labels {choices}; keep one per paragraph")
    label = choices[0] if choices else None
    if label is not None and not isinstance(label, str):
        raise InputError(f"{where}: a label is {_json_kind(label)}; expected a label name ({_AS_EXPORTED})")
    if label is not None and label not in LABELS:
        raise InputError(f"{where}: unknown label {label!r}; expected one of {', '.join(LABELS)}")
    if index < 0:
        raise InputError(f"{where}: index {index} is negative; paragraphs count from 0")
    if (
        "/" in article or "\\" in article or article.startswith(".")
        or any(ord(c) < 32 or ord(c) == 127 for c in article)
        or _SURROGATE.search(article) or len(article.encode("utf-8")) > _MAX_NAME_BYTES
    ):
        raise InputError(
            f"{where}: article name {article[:60]!r} is not a plain file name "
            f"(no '/', control characters or leading '.', at most {_MAX_NAME_BYTES} bytes)"
        )
    if _SURROGATE.search(text):
        raise InputError(f"{where}: 'text' has a lone surrogate (an unpaired \\ud800-\\udfff escape), not text")
    return article, index, text, label


@dataclass
class ImportResult:
    articles: int = 0
    new_articles: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0


def import_labels(path: Path, labels_dir: Path) -> ImportResult:
    """Bring reviewed labels back into ``labels_dir``; all or nothing.

    Records are grouped by article. An article already in ``labels_dir`` must
    have the same paragraphs (the records' texts are checked against it); its
    labels become the imported ones (a paragraph with no label in the file
    loses its label). An unknown article is created from its paragraphs, one
    per line. Every problem is found before anything is written.
    """
    fmt, records = _read_records(path)
    if not records:
        raise InputError(f"{path}: has no records; export the labels again")
    grouped: dict[str, dict[int, tuple[str, str | None]]] = defaultdict(dict)
    for number, record in enumerate(records, start=1):
        where = f"{path} record {number}"
        article, index, text, label = _record_fields(record, fmt, where)
        if index in grouped[article]:
            raise InputError(f"{where}: paragraph {index} of {article} appears twice; keep one")
        grouped[article][index] = (text, label)
    existing = {p.stem: p for p in label_files(labels_dir)} if labels_dir.is_dir() and any(labels_dir.rglob("*.csv")) else {}
    plans = []
    result = ImportResult()
    for name, rows in grouped.items():
        label_path = existing.get(name, labels_dir / f"{name}.csv")
        article_path = find_article(label_path, labels_dir)
        new_text = None
        if article_path is None:
            if sorted(rows) != list(range(len(rows))):
                raise InputError(
                    f"{path}: article {name} is not in {labels_dir} and its paragraphs are not all "
                    "in the file; export whole articles"
                )
            new_text = "\n".join(normalise_space(rows[i][0]) for i in range(len(rows))) + "\n"
            paragraphs = split_paragraphs(new_text)
            old: dict[int, str] = {}
            result.new_articles += 1
        else:
            paragraphs = split_paragraphs(read_text(article_path))
            old = {}
        unsure: dict[int, str] = {}
        answers: dict = {}
        if article_path is not None and label_path.exists():
            article, problems = check_label_file(label_path, labels_dir)
            if problems or article is None:
                raise LabelError(f"{problems[0]}; fix it before importing")
            old = dict(article.labels)
            unsure, answers = dict(article.unsure), dict(article.answers)
        for index, (text, _) in rows.items():
            if not 0 <= index < len(paragraphs) or normalise_space(text) != paragraphs[index].text:
                raise InputError(
                    f"{path}: paragraph {index} of {name} does not match {labels_dir}/{name}; "
                    "the article changed since the export: export it again"
                )
        new = {i: label for i, (_, label) in rows.items() if label is not None}
        new.update({i: label for i, label in old.items() if i not in rows})
        result.articles += 1
        result.added += sum(1 for i in new if i not in old)
        result.changed += sum(1 for i in new if i in old and old[i] != new[i])
        result.removed += sum(1 for i in old if i not in new)
        # Imported labels replace the file's. An unsure mark stays unless the import
        # labels that paragraph; who answered stays on every row whose answer did not change.
        kept_unsure = {i: note for i, note in unsure.items() if i not in new}
        kept_answers = {
            i: a for i, a in answers.items() if i in kept_unsure or (i in new and old.get(i) == new[i])
        }
        plans.append(
            (label_path, labels_dir / f"{name}.txt", new_text, paragraphs, new, old, kept_unsure, kept_answers)
        )
    writes = []
    for label_path, text_path, new_text, paragraphs, new, old, unsure, answers in plans:
        if new_text is not None and new:
            writes.append((text_path, lambda handle, t=new_text: handle.write(t)))
        if new != old:
            writes.append(
                (label_path, label_writer(label_path, paragraphs, new, unsure=unsure, answers=answers))
            )
    try:
        atomic_write_all(writes)
    except OSError as exc:
        raise write_error(
            labels_dir, exc, fix="make it writable or free space; nothing was imported, every label file is as it was"
        ) from None
    return result
