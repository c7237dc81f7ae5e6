"""Classify a stream of articles in chunks and write the results as they come.

The work is split in two so that it parallelises: :func:`render` turns a chunk
of articles into output (classified, filtered and formatted: JSON lines, CSV
rows, text or Parquet columns) and runs in worker processes under ``jobs``;
:class:`Sink` writes the rendered chunks, in input order, in the main process.
Memory holds a few chunks at a time, whatever the corpus size.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from triage._atomic import _mode_for
from triage.config import LABELS
from triage.corpus import Record
from triage.errors import InputError
from triage.text import split_paragraphs

OUTPUT_FORMATS = ("table", "jsonl", "csv", "text", "parquet")


@dataclass(frozen=True)
class Options:
    """What to write: the format, the filters, and whether one record per article."""

    fmt: str
    drop: frozenset[str] | None = None
    keep: frozenset[str] | None = None
    min_score: float | None = None
    drop_threshold: float | None = None
    """Boilerplate probability from which ``drop`` of boilerplate drops a paragraph (the model's by default)."""
    clean: bool = False
    """One record per article (``id``, cleaned ``text``, ``dropped``) instead of one per paragraph."""


def _kept(model, paragraph, options: Options) -> bool:
    if options.keep is not None and paragraph.label not in options.keep:
        return False
    if options.drop is not None:
        if "boilerplate" in options.drop and model.drops(paragraph, options.drop_threshold):
            return False
        if paragraph.label in options.drop - {"boilerplate"}:
            return False
    return True


def _paragraph_columns(labels: list[str]) -> list[str]:
    return ["source", "index", "start", "end", "label", "score"] + [f"score_{lab}" for lab in labels] + ["text"]


def render(model, records: list[Record], options: Options):
    """Classify one chunk of articles and render it for :class:`Sink`.

    Returns a string for text formats, a dict of columns for Parquet, and a
    list of (source, paragraph) for the table.
    """
    results = model.classify_batch([split_paragraphs(r.text) for r in records], min_score=options.min_score)
    labels = list(LABELS)
    if options.clean:
        rows = []
        for record, paragraphs in zip(records, results):
            kept = [p for p in paragraphs if _kept(model, p, options)]
            rows.append({"id": record.id, "text": "\n".join(p.text for p in kept), "dropped": len(paragraphs) - len(kept)})
        if options.fmt == "parquet":
            return {key: [row[key] for row in rows] for key in ("id", "text", "dropped")}
        if options.fmt == "csv":
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows([r["id"], r["text"], r["dropped"]] for r in rows)
            return out.getvalue()
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    pairs = [(r.id, p) for r, paragraphs in zip(records, results) for p in paragraphs if _kept(model, p, options)]
    if options.fmt == "table":
        return pairs
    if options.fmt == "text":
        return "".join(p.text + "\n" for _, p in pairs)
    if options.fmt == "jsonl":
        return "".join(
            json.dumps(
                {
                    "source": source,
                    "index": p.index,
                    "start": p.start,
                    "end": p.end,
                    "label": p.label,
                    "score": round(p.score, 6),
                    "scores": {k: round(v, 6) for k, v in p.scores.items()},
                    "text": p.text,
                },
                ensure_ascii=False,
            )
            + "\n"
            for source, p in pairs
        )
    if options.fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            [source, p.index, p.start, p.end, p.label, f"{p.score:.6f}"]
            + [f"{p.scores.get(label, 0.0):.6f}" for label in labels]
            + [p.text]
            for source, p in pairs
        )
        return out.getvalue()
    columns: dict[str, list] = {name: [] for name in _paragraph_columns(labels)}
    for source, p in pairs:
        columns["source"].append(source)
        columns["index"].append(p.index)
        columns["start"].append(p.start)
        columns["end"].append(p.end)
        columns["label"].append(p.label)
        columns["score"].append(p.score)
        for label in labels:
            columns[f"score_{label}"].append(p.scores.get(label, 0.0))
        columns["text"].append(p.text)
    return columns


class Sink:
    """Where rendered chunks go: stdout or ``--output FILE``, in one format.

    A file is written to a temporary name beside it and renamed into place by
    :meth:`close`, which also runs when the run stops early (``--strict``), so
    the output then holds every chunk rendered before the stop, once.
    """

    def __init__(self, options: Options, output: Path | None, many_sources: bool = False):
        self.options = options
        self.output = output
        self.many_sources = many_sources
        self.table_rows: list = []
        self.parquet = None
        self.tmp: str | None = None
        self.started = False
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            fd, self.tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
            os.close(fd)
            os.chmod(self.tmp, _mode_for(output))
            self.handle = None if options.fmt == "parquet" else open(self.tmp, "w", encoding="utf-8", newline="")
        else:
            if options.fmt == "parquet":
                raise InputError("--format parquet: Parquet is binary; write it to a file with --output FILE")
            self.handle = sys.stdout

    def _header(self) -> None:
        if self.options.fmt == "csv":
            header = ["id", "text", "dropped"] if self.options.clean else _paragraph_columns(list(LABELS))
            csv.writer(self.handle, lineterminator="\n").writerow(header)

    def write(self, rendered) -> None:
        if not self.started:
            self.started = True
            self._header()
        fmt = self.options.fmt
        if fmt == "table":
            self.table_rows.extend(rendered)
        elif fmt == "parquet":
            self._write_parquet(rendered)
        elif rendered:
            self.handle.write(rendered)
            self.handle.flush()

    def _write_parquet(self, columns: dict) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.options.clean:
            schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("dropped", pa.int64())])
        else:
            fields = [("source", pa.string()), ("index", pa.int64()), ("start", pa.int64()), ("end", pa.int64())]
            fields += [("label", pa.string()), ("score", pa.float64())]
            fields += [(f"score_{label}", pa.float64()) for label in LABELS] + [("text", pa.string())]
            schema = pa.schema(fields)
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(self.tmp, schema)
        if columns and next(iter(columns.values())):
            self.parquet.write_table(pa.table(columns, schema=schema))

    def close(self) -> None:
        """Finish the output (the table is drawn here; a file is renamed into place)."""
        if not self.started:
            self.started = True
            self._header()
        if self.options.fmt == "parquet" and self.parquet is None:
            self._write_parquet({})
        if self.parquet is not None:
            self.parquet.close()
        if self.options.fmt == "table" and self.table_rows:
            _draw_table(self.table_rows, self.many_sources)
        if self.output is not None:
            if self.handle is not None:
                self.handle.close()
            os.replace(self.tmp, self.output)
        else:
            self.handle.flush()

    def abandon(self) -> None:
        """Remove the temporary file after a failure that wrote nothing worth keeping."""
        if self.tmp and os.path.exists(self.tmp):
            if self.handle is not None and self.handle is not sys.stdout:
                self.handle.close()
            os.unlink(self.tmp)


LABEL_STYLES = {
    "attack": "bold red",
    "state_response": "bold blue",
    "social_context": "green",
    "boilerplate": "dim",
    "uncertain": "yellow",
}


def _draw_table(rows, many_sources: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", expand=True, box=None)
    if many_sources:
        table.add_column("source", overflow="fold", max_width=24)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("label", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("text", overflow="ellipsis", no_wrap=True, ratio=1)
    for source, p in rows:
        style = LABEL_STYLES.get(p.label, "")
        cells = [
            str(p.index),
            Text(p.label, style=style),
            f"{p.score:.2f}",
            Text(p.text, style="dim" if p.label == "boilerplate" else ""),
        ]
        table.add_row(*([Path(source).name] if many_sources else []), *cells)
    Console().print(table)


def chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Group records into lists of ``size`` (the last may be shorter)."""
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- worker processes --------------------------------------------------------

_WORKER: dict = {}


def _init_worker(model, options: Options) -> None:
    _WORKER["model"] = model
    _WORKER["options"] = options


def _render_in_worker(records: list[Record]):
    return render(_WORKER["model"], records, _WORKER["options"])


def rendered_chunks(
    model, batches: Iterable[list[Record]], options: Options, *, jobs: int = 1
) -> Iterator[tuple[list[Record], object]]:
    """Render every chunk, in order; with ``jobs`` > 1 in that many processes.

    At most two chunks per process are in flight, so a long corpus is never
    read ahead into memory.
    """
    if jobs <= 1:
        for batch in batches:
            yield batch, render(model, batch, options)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(model, options)) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append((batch, pool.submit(_render_in_worker, batch)))
            if len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


Warn = Callable[[str], None]
