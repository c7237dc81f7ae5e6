"""Reading corpora: one article per record, streamed.

Formats: plain text files (one article each), HTML pages (one article each,
one paragraph per block element), and corpora of many articles per file:
JSON Lines, CSV and Parquet, with the article's text and id in named fields.
Records are yielded one at a time (Parquet in row batches), so memory does not
grow with the corpus. A malformed record is yielded as :class:`Skipped` with
where it is and what is wrong; the caller decides whether to go on.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InputError, UsageError
from triage.text import decode_bytes, read_text

FORMATS = ("txt", "html", "jsonl", "csv", "parquet")
CORPUS_FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {
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


@dataclass(frozen=True)
class Skipped:
    """A record that could not be read: where it is and why."""

    where: str
    reason: str


def detect_format(path: str, given: str | None = None) -> str:
    """The input format: ``given``, else from the file's extension (``txt`` by default)."""
    if given is not None:
        if given not in FORMATS:
            raise UsageError(f"--input-format: unknown format {given!r}; expected one of {', '.join(FORMATS)}")
        return given
    if path == "-":
        return "txt"
    return _SUFFIXES.get(Path(path).suffix.lower(), "txt")


def read_records(
    path: str, fmt: str, *, text_field: str = "text", id_field: str = "id"
) -> Iterator[Record | Skipped]:
    """Yield the articles of one input, or :class:`Skipped` for malformed records.

    Raises
    ------
    InputError
        The input itself cannot be opened or is not of the format (a missing
        file, a CSV without the text column, a broken Parquet file).
    """
    if fmt == "txt":
        text = decode_bytes(sys.stdin.buffer.read(), source="<stdin>") if path == "-" else read_text(path)
        yield Record(path, text)
    elif fmt == "html":
        raw = sys.stdin.buffer.read() if path == "-" else _read_bytes(path)
        yield Record(path, html_to_text(raw, source=path))
    elif fmt == "jsonl":
        yield from _jsonl(path, text_field, id_field)
    elif fmt == "csv":
        yield from _csv(path, text_field, id_field)
    elif fmt == "parquet":
        yield from _parquet(path, text_field, id_field)
    else:  # pragma: no cover - detect_format guards this
        raise UsageError(f"unknown input format {fmt!r}")


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; give a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _open_text(path: str):
    if path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _record(fields: dict, where: str, text_field: str, id_field: str, default_id: str) -> Record | Skipped:
    if text_field not in fields:
        return Skipped(where, f"no {text_field!r} field (set --text-field)")
    text = fields[text_field]
    if not isinstance(text, str):
        return Skipped(where, f"{text_field!r} is {type(text).__name__ if text is not None else 'null'}, not text")
    article_id = fields.get(id_field)
    return Record(default_id if article_id is None else str(article_id), text)


def _jsonl(path: str, text_field: str, id_field: str) -> Iterator[Record | Skipped]:
    handle = _open_text(path)
    try:
        number = 0
        while True:
            try:
                line = handle.readline()
            except UnicodeDecodeError:
                yield Skipped(f"{path} line {number + 1}", "not UTF-8; the rest of the file cannot be read")
                return
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                fields = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Skipped(where, f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(fields, dict):
                yield Skipped(where, "not a JSON object")
                continue
            yield _record(fields, where, text_field, id_field, f"{path}:{number}")
    finally:
        if handle is not sys.stdin:
            handle.close()


def _csv(path: str, text_field: str, id_field: str) -> Iterator[Record | Skipped]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    handle = _open_text(path)
    try:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not a readable CSV file ({exc})") from None
        if not header or text_field not in header:
            raise InputError(
                f"{path}: no {text_field!r} column (columns: {', '.join(header or [])}); set --text-field"
            )
        number = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                yield Skipped(f"{path} line {reader.line_num}", f"not readable CSV ({exc}); the rest is skipped")
                return
            number += 1
            where = f"{path} line {reader.line_num}"
            if None in row:
                yield Skipped(where, f"{len(header) + len(row[None])} fields; the header has {len(header)}")
                continue
            if row.get(text_field) is None:
                yield Skipped(where, f"fewer fields than the header; no {text_field!r}")
                continue
            yield _record(row, where, text_field, id_field, f"{path}:{number}")
    finally:
        if handle is not sys.stdin:
            handle.close()


def _parquet(path: str, text_field: str, id_field: str, batch_size: int = 1024) -> Iterator[Record | Skipped]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow; pip install 'triage[parquet]'") from None
    try:
        source = pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except Exception as exc:  # pyarrow raises its own errors for a file that is not Parquet
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    names = source.schema_arrow.names
    if text_field not in names:
        raise InputError(f"{path}: no {text_field!r} column (columns: {', '.join(names)}); set --text-field")
    columns = [text_field] + ([id_field] if id_field in names and id_field != text_field else [])
    row = 0
    for batch in source.iter_batches(batch_size=batch_size, columns=columns):
        texts = batch.column(text_field).to_pylist()
        ids = batch.column(id_field).to_pylist() if id_field in columns else [None] * len(texts)
        for text, article_id in zip(texts, ids):
            row += 1
            yield _record({text_field: text, id_field: article_id}, f"{path} row {row}", text_field, id_field, f"{path}:{row}")


# -- HTML ------------------------------------------------------------------

_BLOCKS = frozenset(
    """address article aside blockquote body caption dd details div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
    tbody td tfoot th thead title tr ul br option legend label button""".split()
)
_DROPPED = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_SPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _decode_html(raw: bytes, source: str) -> str:
    """A page's text: the charset its ``<meta>`` declares, else UTF-8, else triage's guess."""
    declared = _META_CHARSET.search(raw[:4096])
    if declared:
        try:
            return raw.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return decode_bytes(raw, source=source)


def html_to_text(raw: bytes | str, *, source: str = "<html>") -> str:
    """The text of an HTML page, one line per block element (scripts and styles dropped).

    The page's ``<title>`` comes first, as scrapers keep it. Text of inline
    elements joins the block around it; each block's whitespace is folded.
    """
    try:
        import lxml.html
        from lxml import etree
    except ImportError:
        raise InputError(f"{source}: reading HTML needs lxml; pip install 'triage[html]'") from None
    if isinstance(raw, bytes):
        if b"\x00" in raw[:8192]:
            raise InputError(f"{source}: looks binary (NUL bytes), not an HTML page")
        raw = _decode_html(raw, source)
    raw = _XML_DECLARATION.sub("", raw, count=1)
    if not raw.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(raw)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"{source}: not readable HTML ({exc})") from None
    lines: list[str] = []
    title = root.find(".//title")
    if title is not None and (title.text or "").strip():
        lines.append(_SPACE.sub(" ", title.text).strip())
    for element in list(root.iter(*_DROPPED)):
        if element.getparent() is not None:
            element.drop_tree()
    buffer: list[str] = []

    def flush() -> None:
        text = _SPACE.sub(" ", "".join(buffer)).strip()
        buffer.clear()
        if text:
            lines.append(text)

    def walk(element) -> None:
        if not isinstance(element.tag, str):  # comments, processing instructions
            return
        block = element.tag.lower() in _BLOCKS
        if block:
            flush()
        if element.text:
            buffer.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                buffer.append(child.tail)
        if block:
            flush()

    body = root.find("body")
    walk(body if body is not None else root)
    flush()
    return "\n".join(lines) + ("\n" if lines else "")
