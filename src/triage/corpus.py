"""Reading corpora: one article per record, streamed.

Formats: plain text files (one article each), HTML pages (one article each,
one paragraph per block element), and corpora of many articles per file:
JSON Lines, CSV and Parquet, with the article's text and id in named fields.
Records are yielded one at a time (Parquet in row batches), so memory does not
grow with the corpus. A malformed record is yielded as :class:`Skipped` with
where it is and what is wrong; the caller decides whether to go on.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path
from typing import BinaryIO

from triage.errors import ArgumentError, InputError, MissingExtra
from triage.text import (
    MAX_INPUT_BYTES,
    check_text,
    decode_bytes,
    long_line,
    open_input,
    read_bytes,
    read_error,
    read_limited,
    read_text,
    too_many_paragraphs,
)

FORMATS = ("txt", "html", "jsonl", "csv", "parquet")
CORPUS_FORMATS = ("jsonl", "csv", "parquet")
SUFFIX_FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class Record:
    """One article: its id (the output's ``source``) and its text."""

    id: str
    text: str
    page: Any = None
    """For an HTML page, its blocks and markup (:class:`triage.html.Page`); ``text`` is the blocks' text."""
    fields: dict = field(default_factory=dict)
    """A corpus record's other fields (``url``, ``date``, ...) whose values are JSON scalars."""


@dataclass(frozen=True)
class Skipped:
    """A record that could not be read: where it is and why."""

    where: str
    reason: str


SUFFIXES = tuple(SUFFIX_FORMATS)
"""The file name endings read as articles or corpora (``.txt``, ``.html``, ``.jsonl``, ...): the one table."""


def expand_inputs(paths: list[str]) -> list[str]:
    """The sources named by ``paths``: ``-`` for standard input, a folder for its files of :data:`SUFFIXES`.

    Raises
    ------
    InputError
        A folder holds no such file.
    """
    out: list[str] = []
    for given in paths:
        path = Path(given)
        if given != "-" and path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in SUFFIX_FORMATS)
            if not files:
                raise InputError(
                    f"{given}: folder has no article files ({', '.join(SUFFIXES)}); give files or another folder"
                )
            out.extend(str(f) for f in files)
        else:
            out.append(given)
    return out


def detect_format(path: str, given: str | None = None) -> str:
    """The input format: ``given``, else from the file's extension (``txt`` by default).

    Standard input (``-``) has no extension: JSON Lines and HTML are told from
    its first bytes, anything else is ``txt``.
    """
    if given is not None:
        if given not in FORMATS:
            raise ArgumentError(f"`input_format`: unknown format {given!r}; expected one of {', '.join(FORMATS)}")
        return given
    if path == "-":
        return _sniff(_stdin().peek(65536)[:65536])
    return SUFFIX_FORMATS.get(Path(path).suffix.lower(), "txt")


_STDIN: list[tuple[object, BinaryIO]] = []


def _stdin() -> BinaryIO:
    """Standard input's bytes, in a reader that can peek (the same one for every caller)."""
    buffer = sys.stdin.buffer
    if not _STDIN or _STDIN[0][0] is not buffer:
        _STDIN[:] = [(buffer, buffer if hasattr(buffer, "peek") else io.BufferedReader(buffer))]
    return _STDIN[0][1]


def _sniff(head: bytes) -> str:
    """``jsonl`` for bytes that open with a JSON object on a line, ``html`` for a page, else ``txt``."""
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if re.match(rb"(?i)<!doctype html|<html", head):
        return "html"
    if not head.startswith(b"{"):
        return "txt"
    first, newline, _ = head.partition(b"\n")
    if not newline:  # a first line longer than the peek: an object's opening is enough
        return "jsonl" if re.match(rb'\{\s*"', head) else "txt"
    try:
        return "jsonl" if isinstance(json.loads(first), dict) else "txt"
    except (ValueError, RecursionError):
        return "txt"


def read_records(
    path: str, fmt: str, *, text_field: str = "text", id_field: str | None = None
) -> Iterator[Record | Skipped]:
    """Yield the articles of one input, or :class:`Skipped` for malformed records.

    Parameters
    ----------
    path
        A file, or ``-`` for standard input.
    fmt
        One of :data:`FORMATS`.
    text_field
        The corpus field with the article's text.
    id_field
        The corpus field with the article's id. ``None`` reads ``id`` where a
        record has one; a field given by name must be in the corpus.

    Raises
    ------
    InputError
        The input itself cannot be opened or is not of the format (a missing
        file, a field that no record has, a broken Parquet file, an unclosed
        CSV quote).
    """
    if fmt == "txt":
        if path == "-":
            text = decode_bytes(read_limited(_stdin(), source="<stdin>"), source="<stdin>")
            yield Record(path, check_text(text, source="<stdin>"))
        else:
            yield Record(path, read_text(path))
    elif fmt == "html":
        raw = read_limited(_stdin(), source="<stdin>", sniff=False) if path == "-" else read_bytes(path, sniff=False)
        source = "<stdin>" if path == "-" else path
        from triage.html import read_page

        page = read_page(raw, source=source)
        yield Record(path, check_text("\n".join(b.text for b in page.blocks), source=source), page=page)
    elif fmt == "jsonl":
        yield from _required_fields(_jsonl(path, text_field, id_field or "id"), path, text_field, id_field)
    elif fmt == "csv":
        yield from _csv(path, text_field, id_field)
    elif fmt == "parquet":
        yield from _parquet(path, text_field, id_field)
    else:  # pragma: no cover - detect_format guards this
        raise ArgumentError(f"`input_format`: unknown format {fmt!r}")


def _open_binary(path: str) -> BinaryIO:
    return _stdin() if path == "-" else open_input(path)


def _close(handle: BinaryIO, path: str) -> None:
    if path != "-":
        handle.close()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain_value(value) -> bool:
    """A value a per-article record can carry as it is: a JSON scalar, finite, with no lone surrogate."""
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and not _SURROGATE.search(value)


def _record(fields: dict, where: str, text_field: str, id_field: str, default_id: str) -> Record | Skipped:
    if text_field not in fields:
        return Skipped(where, f"no {text_field!r} field (set `text_field`)")
    text = fields[text_field]
    if not isinstance(text, str):
        return Skipped(where, f"{text_field!r} is {type(text).__name__ if text is not None else 'null'}, not text")
    article_id = fields.get(id_field)
    article_id = default_id if article_id is None else str(article_id)
    for name, value in ((text_field, text), (id_field, article_id)):
        if _SURROGATE.search(value):
            return Skipped(where, f"{name!r} has a lone surrogate (an unpaired \\ud800-\\udfff escape), not text")
    reason = long_line(text) or too_many_paragraphs(text)
    if reason:
        return Skipped(where, reason)
    others = {
        str(name): value
        for name, value in fields.items()
        if name not in (text_field, id_field)
        and _plain_value(value)
    }
    return Record(article_id, text, fields=others)


_FIELD_PROBE = 100
"""Records read, at most, before a field that none of them has is an error."""


def _required_fields(rows, path: str, text_field: str, id_field: str | None) -> Iterator[Record | Skipped]:
    """Pass on ``(item, field names)`` pairs, raising if no record has the text field or a named id field.

    Items are held back until a record has both fields, so a corpus read with
    the wrong ``--text-field`` fails with one error instead of skipping every
    record with a warning. Only the first :data:`_FIELD_PROBE` records are waited for.
    """
    held: list = []
    found_text = found_id = False
    first_fields: list[str] | None = None
    objects = 0
    for item, names in rows:
        if names is not None:
            objects += 1
            first_fields = names if first_fields is None else first_fields
            found_text = found_text or text_field in names
            found_id = found_id or id_field is None or id_field in names
        if found_text and found_id:
            yield from held
            held.clear()
            yield item
            continue
        held.append(item)
        if objects >= _FIELD_PROBE:
            break
    if objects and not (found_text and found_id):
        field, option = (text_field, "`text_field`") if not found_text else (id_field, "`id_field`")
        which = f"none of the first {objects} records has" if objects >= _FIELD_PROBE else "no record has"
        shown = ", ".join(repr(n) for n in (first_fields or [])[:12]) or "no fields"
        raise InputError(f"{path}: {which} a {field!r} field (the first has {shown}); set {option}")
    yield from held


def _jsonl(path: str, text_field: str, id_field: str):
    """``(item, field names or None)`` for every non-blank line of a JSON Lines file."""
    handle = _open_binary(path)
    try:
        number = 0
        while True:
            raw = handle.readline(MAX_INPUT_BYTES + 1)
            if not raw:
                return
            number += 1
            where = f"{path} line {number}"
            if len(raw) > MAX_INPUT_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a chunk at a time
                    raw = handle.readline(2**20)
                yield Skipped(where, f"longer than {MAX_INPUT_BYTES // 2**20} MB, more than a record can be"), None
                continue
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Skipped(where, f"not UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1})"), None
                continue
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
            except RecursionError:
                yield Skipped(where, "nested too deeply to read"), None
                continue
            except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
                yield Skipped(where, f"not valid JSON ({getattr(exc, 'msg', exc)})"), None
                continue
            if not isinstance(fields, dict):
                yield Skipped(where, "not a JSON object"), None
                continue
            yield _record(fields, where, text_field, id_field, f"{path}:{number}"), list(fields)
    except OSError as exc:
        raise read_error(path, exc) from None
    finally:
        _close(handle, path)


def _csv(path: str, text_field: str, id_field: str | None) -> Iterator[Record | Skipped]:
    csv.field_size_limit(MAX_INPUT_BYTES)
    binary = _open_binary(path)
    # Bytes that are not UTF-8 become lone surrogates, so that they cost their row only.
    handle = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        reader = csv.DictReader(handle, strict=True)
        try:
            header = reader.fieldnames
        except csv.Error as exc:
            raise InputError(f"{path}: not a readable CSV file ({exc})") from None
        if not header or text_field not in header:
            raise InputError(
                f"{path}: no {text_field!r} column (columns: {', '.join(header or [])}); set `text_field`"
            )
        if id_field is not None and id_field not in header:
            raise InputError(f"{path}: no {id_field!r} column (columns: {', '.join(header)}); set `id_field`")
        number = 1
        while True:
            starts = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "end of data" in str(exc) or "field limit" in str(exc):
                    raise InputError(
                        f"{path} line {starts}: a quoted field is not closed (or is longer than "
                        f"{MAX_INPUT_BYTES // 2**20} MB); close the quote: nothing from this line on was read"
                    ) from None
                yield Skipped(f"{path} line {starts}", f"not readable CSV ({exc})")
                continue
            number += 1
            where = f"{path} line {starts}"
            if None in row:
                yield Skipped(where, f"{len(header) + len(row[None])} fields; the header has {len(header)}")
                continue
            if row.get(text_field) is None:
                yield Skipped(where, f"fewer fields than the header; no {text_field!r}")
                continue
            if any(_SURROGATE.search(value) for value in row.values() if value):
                yield Skipped(where, "not UTF-8")
                continue
            yield _record(row, where, text_field, id_field or "id", f"{path}:{number}")
    except OSError as exc:
        raise read_error(path, exc) from None
    finally:
        handle.detach()
        _close(binary, path)


def _parquet(path: str, text_field: str, id_field: str | None, batch_size: int = 1024) -> Iterator[Record | Skipped]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtra(f"{path}: reading Parquet", "parquet") from None
    if path == "-" or (Path(path).exists() and not Path(path).is_file()):
        raise InputError(f"{path}: Parquet is read from a file's end; give a regular file, not a pipe or folder")
    try:
        source = pq.ParquetFile(path)
    except OSError as exc:
        raise read_error(path, exc) from None
    except Exception as exc:  # pyarrow raises its own errors for a file that is not Parquet
        raise InputError(f"{path}: not a readable Parquet file ({_one_line(exc)})") from None
    names = source.schema_arrow.names
    if text_field not in names:
        raise InputError(f"{path}: no {text_field!r} column (columns: {', '.join(names)}); set `text_field`")
    if id_field is not None and id_field not in names:
        raise InputError(f"{path}: no {id_field!r} column (columns: {', '.join(names)}); set `id_field`")
    id_column = id_field or "id"
    columns = [text_field] + ([id_column] if id_column in names and id_column != text_field else [])
    row = 0
    batches = source.iter_batches(batch_size=batch_size, columns=columns)
    while True:
        try:
            batch = next(batches)
            texts = batch.column(text_field).to_pylist()
            ids = batch.column(id_column).to_pylist() if id_column in columns else [None] * len(texts)
        except StopIteration:
            return
        except Exception as exc:  # a damaged row group: pyarrow raises OSError, ArrowInvalid...
            raise InputError(
                f"{path}: rows after {row} cannot be read ({_one_line(exc)}); the file is damaged: "
                "write it again"
            ) from None
        for text, article_id in zip(texts, ids):
            row += 1
            yield _record(
                {text_field: text, id_column: article_id}, f"{path} row {row}", text_field, id_column, f"{path}:{row}"
            )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
