"""Classify a stream of articles in chunks and write the results as they come.

:func:`classify_sources` is the loop behind ``triage classify``: it reads every
source (:class:`ReadOptions`), classifies and filters its paragraphs, writes
them (:class:`WriteOptions`) to a :class:`Sink`, and returns a :class:`Summary`.
The work is split in two so that it parallelises: :func:`render` turns a chunk
of articles into output (classified, filtered and formatted: JSON lines, CSV
rows, text or Parquet columns) and runs in worker processes under ``jobs``;
:class:`Sink` writes the rendered chunks, in input order, in the main process.
Memory holds a few chunks at a time, whatever the corpus size. Nothing here
draws on a terminal: the table format hands its rows to a ``draw`` function
the caller gives.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from triage._atomic import AtomicFile, write_error
from triage.config import LABELS
from triage.corpus import Record
from triage.errors import InputError, MissingExtra, OutputError, WorkerError
from triage.text import escape_controls, split_paragraphs



@dataclass(frozen=True)
class ReadOptions:
    """How to read the sources: their format, a corpus's fields, and what a bad record does."""

    input_format: str | None = None
    """One of :data:`triage.corpus.FORMATS`; ``None`` tells each source's format from its name."""
    text_field: str = "text"
    id_field: str | None = None
    """The corpus field with the article's id; ``None`` reads ``id`` where a record has one."""
    strict: bool = False
    """Stop at the first malformed record or unreadable source instead of going on without it."""


@dataclass(frozen=True)
class WriteOptions:
    """What to write: the format, the filters, and whether one record per article."""

    fmt: str
    drop: frozenset[str] | None = None
    keep: frozenset[str] | None = None
    min_score: float | None = None
    drop_threshold: float | None = None
    """Boilerplate probability from which ``drop`` of boilerplate drops a paragraph (the model's by default)."""
    per_article: bool = False
    """One record per article (``id``, its other corpus fields in JSON Lines, the kept ``text``,
    ``dropped``) instead of one per paragraph."""


@dataclass
class Summary:
    """What a run did: articles read, paragraphs classified and dropped, records skipped, sources failed."""

    articles: int = 0
    paragraphs: int = 0
    dropped: int = 0
    skipped: int = 0
    """Malformed records skipped (each with a warning)."""
    failed: int = 0
    """Sources that could not be read at all (each with an error)."""
    stopped: str | None = None
    """Why the run stopped early (``strict``), with what became of the output; ``None`` if it did not."""
    written: bool = True
    """False when the output file that existed before was left as it was."""

    def line(self) -> str:
        """The summary as one line, for the end of a run."""
        parts = [
            f"{self.articles} article{'s' * (self.articles != 1)}",
            f"{self.paragraphs} paragraph{'s' * (self.paragraphs != 1)}",
            f"{self.dropped} dropped",
            f"{self.skipped} malformed record{'s' * (self.skipped != 1)} skipped",
        ]
        if self.failed:
            parts.append(f"{self.failed} input{'s' * (self.failed != 1)} failed")
        return ", ".join(parts)


@dataclass(frozen=True)
class Rendered:
    """One rendered chunk: the output for :class:`Sink`, and how many paragraphs it classified and dropped."""

    output: object
    paragraphs: int
    dropped: int


def _kept(model, paragraph, options: WriteOptions, *, page: bool = False) -> bool:
    if options.keep is not None and paragraph.label not in options.keep:
        return False
    if options.drop is not None:
        threshold = options.drop_threshold
        if threshold is None and page:
            threshold = model.html_drop_threshold
        if "boilerplate" in options.drop and model.drops(paragraph, threshold):
            return False
        if paragraph.label in options.drop - {"boilerplate"}:
            return False
    return True


def _paragraph_columns(labels: list[str]) -> list[str]:
    return ["source", "index", "start", "end", "label", "score"] + [f"score_{lab}" for lab in labels] + ["text"]


def _classified(model, records: list[Record], min_score: float | None):
    """Each record's classified paragraphs: one prediction for the texts, one per HTML page."""
    texts = [i for i, r in enumerate(records) if r.page is None]
    results: list = [None] * len(records)
    for i, paragraphs in zip(texts, model.classify_batch([split_paragraphs(records[i].text) for i in texts], min_score=min_score)):
        results[i] = paragraphs
    pages = [i for i, r in enumerate(records) if r.page is not None]
    for i, paragraphs in zip(pages, model.classify_pages([records[i].page for i in pages], min_score=min_score)):
        results[i] = paragraphs
    return results


def render(model, records: list[Record], options: WriteOptions) -> Rendered:
    """Classify one chunk of articles and render it for :class:`Sink`.

    The output is a string for text formats, a dict of columns for Parquet,
    and a list of (source, paragraph) for the table.
    """
    results = _classified(model, records, options.min_score)
    total = sum(len(paragraphs) for paragraphs in results)
    kept_by_record = [
        [p for p in paragraphs if _kept(model, p, options, page=record.page is not None)]
        for record, paragraphs in zip(records, results)
    ]
    dropped = total - sum(len(kept) for kept in kept_by_record)
    return Rendered(_formatted(records, results, kept_by_record, options), total, dropped)


def _other_fields(record: Record) -> dict:
    """A record's other corpus fields, without the names the per-article record gives itself."""
    return {k: v for k, v in record.fields.items() if k not in ("id", "text", "dropped")}


def _formatted(records: list[Record], results: list, kept_by_record: list, options: WriteOptions):
    labels = list(LABELS)
    if options.per_article:
        rows = [
            {"id": record.id, "text": "\n".join(p.text for p in kept), "dropped": len(paragraphs) - len(kept)}
            for record, paragraphs, kept in zip(records, results, kept_by_record)
        ]
        if options.fmt == "parquet":
            return {key: [row[key] for row in rows] for key in ("id", "text", "dropped")}
        if options.fmt == "csv":
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows([r["id"], r["text"], r["dropped"]] for r in rows)
            return out.getvalue()
        return "".join(
            json.dumps(
                {"id": row["id"], **_other_fields(record), "text": row["text"], "dropped": row["dropped"]},
                ensure_ascii=False,
            ) + "\n"
            for record, row in zip(records, rows)
        )
    pairs = [(r.id, p) for r, kept in zip(records, kept_by_record) for p in kept]
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

    A file is written through :class:`~triage._atomic.AtomicFile`: to a
    temporary file beside it, put in place by :meth:`finish`. A run that failed
    leaves a file that existed before as it was; a new file then gets what was
    rendered before the failure (as standard output does). On a terminal,
    control characters from the input are written as escapes.
    """

    def __init__(
        self,
        options: WriteOptions,
        output: Path | None,
        many_sources: bool = False,
        *,
        stdout=None,
        draw: Callable[[list, bool, object], None] | None = None,
    ):
        """
        Parameters
        ----------
        options
            The format and filters.
        output
            A file to write (atomically), or ``None`` for ``stdout``.
        many_sources
            The output covers several sources (the table shows a source column).
        stdout
            The open text stream written without ``output`` (``sys.stdout`` by default).
        draw
            For the table format: called at the end with the rows (source,
            paragraph), ``many_sources`` and the stream.
        """
        self.options = options
        self.output = output
        self.many_sources = many_sources
        self.draw = draw
        self.table_rows: list = []
        self.parquet = None
        self.started = False
        self.file: AtomicFile | None = None
        if output is not None:
            self.existed = os.path.lexists(output)
            try:
                self.file = AtomicFile(output, binary=options.fmt == "parquet")
            except OSError as exc:
                raise write_error(output, exc, fix="choose another `output`") from None
            self.handle = self.file.handle
            self.escape = self.file.direct and _on_terminal(self.handle)  # -o /dev/tty
        else:
            if options.fmt == "parquet":
                raise InputError("Parquet is binary: write it to a file, not to standard output")
            self.existed = False
            self.handle = stdout if stdout is not None else sys.stdout
            self.escape = _on_terminal(self.handle)

    def _failed_write(self, exc: OSError) -> OutputError:
        if isinstance(exc, BrokenPipeError):
            raise exc  # the reader of stdout or a pipe went away: the CLI ends quietly
        if self.output is None:
            return write_error("<stdout>", exc, fix="write to a file (`output`) instead")
        return write_error(self.output, exc, fix=f"free space or choose another `output`; {self.outcome()}")

    def outcome(self) -> str:
        """What became of the output file when the run failed."""
        if self.file is not None and self.file.direct:
            return f"what came before the failure went to {self.output}"
        return f"{self.output} was left as it was" if self.existed else f"no {self.output} was written"

    def _header(self) -> None:
        if self.options.fmt == "csv":
            header = ["id", "text", "dropped"] if self.options.per_article else _paragraph_columns(list(LABELS))
            csv.writer(self.handle, lineterminator="\n").writerow(header)

    def write(self, rendered) -> None:
        try:
            if not self.started:
                self.started = True
                self._header()
            fmt = self.options.fmt
            if fmt == "table":
                self.table_rows.extend(rendered)
            elif fmt == "parquet":
                self._write_parquet(rendered)
            elif rendered:
                if self.escape:
                    rendered = escape_controls(rendered, json=fmt == "jsonl")
                self.handle.write(rendered)
                self.handle.flush()
        except OSError as exc:
            self.abandon()
            raise self._failed_write(exc) from None

    def _write_parquet(self, columns: dict) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingExtra("writing Parquet", "parquet") from None

        if self.options.per_article:
            schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("dropped", pa.int64())])
        else:
            fields = [("source", pa.string()), ("index", pa.int64()), ("start", pa.int64()), ("end", pa.int64())]
            fields += [("label", pa.string()), ("score", pa.float64())]
            fields += [(f"score_{label}", pa.float64()) for label in LABELS] + [("text", pa.string())]
            schema = pa.schema(fields)
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(self.handle, schema)
        if columns and next(iter(columns.values())):
            self.parquet.write_table(pa.table(columns, schema=schema))

    def finish(self, *, failed: bool = False) -> bool:
        """Finish the output: the table is drawn, a file put in place.

        Parameters
        ----------
        failed
            The run failed: a file that existed before is left as it was.

        Returns
        -------
        bool
            False when an existing file was left as it was, else True.
        """
        if failed and self.file is not None and self.existed and not self.file.direct:
            self.abandon()
            return False
        try:
            if not self.started:
                self.started = True
                self._header()
            if self.options.fmt == "parquet" and self.parquet is None:
                self._write_parquet({})
            if self.parquet is not None:
                self.parquet.close()
            if self.options.fmt == "table" and self.table_rows:
                if self.draw is None:
                    raise ValueError("the table format needs a draw function")
                self.draw(self.table_rows, self.many_sources, self.handle)
            if self.file is not None:
                self.file.commit()
            else:
                self.handle.flush()
        except OSError as exc:
            self.abandon()
            raise self._failed_write(exc) from None
        return True

    def close(self) -> None:
        """Finish a run that went well (see :meth:`finish`)."""
        self.finish()

    def abandon(self) -> None:
        """Drop the output of a run that failed; an existing file stays as it was."""
        if self.parquet is not None:
            # Closed now, into the file about to go: left open, it closes itself when collected at
            # exit, onto a closed file, and prints a traceback after the one-line error.
            writer, self.parquet = self.parquet, None
            try:
                writer.close()
            except (OSError, ValueError):  # a full disk: it must not try again at exit either
                writer.is_open = False
        if self.file is not None:
            self.file.discard()


def _on_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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

MAX_JOBS_PER_CPU = 1
"""More worker processes than CPUs only add memory: ``--jobs`` is capped at this many per CPU."""


def max_jobs() -> int:
    """The most worker processes worth starting here: one per CPU this process may use."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus * MAX_JOBS_PER_CPU)


def _watch_parent(parent: int) -> None:
    """End this worker once its parent is gone (killed: nothing else would tell it)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _work(connection, model, options: WriteOptions, parent: int) -> None:
    """A worker's loop: render each chunk its pipe brings and send back the outcome.

    The outcome is ``(True, rendered)`` or ``(False, exception)``, so an error
    in a chunk reaches the main process as itself. ``None`` ends the loop.
    """
    # Ctrl-C reaches the whole process group: the main process handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(parent,), name="triage-parent-watch", daemon=True).start()
    while True:
        try:
            batch = connection.recv()
        except EOFError:
            return
        if batch is None:
            return
        try:
            outcome = (True, render(model, batch, options))
        except Exception as exc:  # noqa: BLE001 - handed to the main process, which raises it
            outcome = (False, _sendable(exc))
        connection.send(outcome)


def _sendable(exc: Exception) -> Exception:
    """``exc`` if it survives a trip through pickle, else a ``RuntimeError`` that names it.

    An exception with an unpicklable argument, or whose class cannot be rebuilt
    from its arguments, would otherwise fail the send or the main process's
    receive instead of being raised there as what it says.
    """
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure to pickle or rebuild
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Workers:
    """``jobs`` worker processes, each with a pipe of its own to the main process.

    A pipe per worker, rather than one queue that all of them share, is what
    lets a killed worker be only an error: no other process holds its end of
    the pipe, so a result it was half-way through sending ends in an
    ``EOFError``, and there is no lock shared between workers that a killed one
    could die holding. (:class:`concurrent.futures.ProcessPoolExecutor` shares
    one result queue and one lock, and can wait for ever when a worker is
    killed while sending.)
    """

    def __init__(self, jobs: int, model, options: WriteOptions):
        import multiprocessing

        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.jobs = jobs
        self.processes: list = []
        self.connections: list = []
        try:
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=_work, args=(theirs, model, options, os.getpid()), name="triage-worker", daemon=True
                )
                process.start()
                theirs.close()  # the worker holds the only other end now
                self.processes.append(process)
                self.connections.append(ours)
        except BaseException:
            self.stop()
            raise

    def _died(self) -> WorkerError:
        return WorkerError(
            f"a worker process (of `jobs` {self.jobs}) died before finishing its articles (killed, or out "
            "of memory); run it again, with fewer `jobs` if memory is short"
        )

    def send(self, worker: int, batch: list[Record]) -> None:
        try:
            self.connections[worker].send(batch)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            raise self._died() from None

    def ready(self, candidates: list[int]) -> list[int]:
        """Wait until at least one of the ``candidates`` has a result to collect; those that have.

        Raises
        ------
        WorkerError
            One of them died with no result to collect.
        """
        from multiprocessing.connection import wait

        waiting = {self.connections[w]: w for w in candidates}
        sentinels = {self.processes[w].sentinel: w for w in candidates}
        woken = wait([*waiting, *sentinels])
        with_result = [waiting[c] for c in woken if c in waiting]
        if any(sentinels[s] not in with_result for s in woken if s in sentinels):
            raise self._died()
        return with_result

    def receive(self, worker: int) -> tuple[bool, object]:
        """The outcome of a worker that :meth:`ready` named: ``(True, rendered)`` or ``(False, exception)``.

        Raises
        ------
        WorkerError
            The worker died part-way through sending it.
        """
        try:
            return self.connections[worker].recv()
        except (EOFError, OSError):  # the worker died while it was sending
            raise self._died() from None

    def close(self) -> None:
        """Ask every worker to finish and wait for them."""
        for connection in self.connections:
            try:
                connection.send(None)
            except OSError:
                pass
        for process in self.processes:
            process.join(timeout=5)
        self.stop()

    def stop(self) -> None:
        """Stop every worker now and release the pipes."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self.connections:
            connection.close()
        self.processes, self.connections = [], []


def rendered_chunks(
    model, batches: Iterable[list[Record]], options: WriteOptions, *, jobs: int = 1
) -> Iterator[tuple[list[Record], Rendered]]:
    """Render every chunk, in order; with ``jobs`` > 1 in that many processes.

    Each worker has one chunk at a time and is given the next as soon as its
    result is in, whichever worker that is; results are written in input
    order, and at most two chunks per worker are held (in a worker, or done and
    waiting for an earlier one), so a long corpus is never read ahead into
    memory. (Two chunks in one worker's pipe could each wait on the other: the
    worker sending a large result while the main process sends it a large
    chunk.) A worker killed on the way (by a signal, or for memory) is a
    :class:`~triage.errors.WorkerError`; the workers end with the run, however
    it ends, and with the main process if it is killed.

    Raises
    ------
    WorkerError
        A worker process died.
    """
    if jobs <= 1:
        for batch in batches:
            yield batch, render(model, batch, options)
        return
    workers = _Workers(jobs, model, options)
    finished = False
    try:
        numbered = enumerate(batches)
        idle = list(range(jobs))
        busy: dict[int, tuple[int, list[Record]]] = {}  # worker -> (chunk number, chunk)
        done: dict[int, tuple[list[Record], tuple]] = {}  # outcomes waiting for an earlier chunk
        written = 0
        exhausted = False
        while True:
            while idle and not exhausted and len(busy) + len(done) < 2 * jobs:
                item = next(numbered, None)
                if item is None:
                    exhausted = True
                    break
                worker = idle.pop()
                workers.send(worker, item[1])
                busy[worker] = item
            if written in done:
                chunk, (ok, value) = done.pop(written)
                if not ok:  # a chunk's own error, raised in its turn: the chunks before it are out
                    raise value
                yield chunk, value
                written += 1
                continue
            if not busy:
                break
            for worker in workers.ready(list(busy)):
                number, chunk = busy.pop(worker)
                done[number] = chunk, workers.receive(worker)
                idle.append(worker)
        finished = True
    finally:
        if finished:
            workers.close()
        else:
            workers.stop()


def source_formats(sources: Iterable[str] | dict[str, str], input_format: str | None = None) -> dict[str, str]:
    """Each source's format (:func:`triage.corpus.detect_format`), in order: what :func:`read_sources` reads.

    A mapping already made by this function is returned as it is, so formats are told once.
    """
    from triage.corpus import detect_format

    if isinstance(sources, dict):
        return sources
    return {source: detect_format(source, input_format) for source in sources}


def read_sources(
    sources: Iterable[str] | dict[str, str],
    read: ReadOptions,
    summary: Summary,
    warn: Callable[[str], None],
) -> Iterator[Record]:
    """The articles of every source, in order, counting into ``summary`` what is read and lost.

    ``sources`` may be :func:`source_formats`'s result, so formats told once
    are not told again. A malformed record costs that record and an unreadable
    source that source (a ``Warning: ...`` or ``Error: ...`` line to ``warn``),
    unless ``read.strict``: then reading stops there and ``summary.stopped`` says why.
    """
    from triage.corpus import CORPUS_FORMATS, Skipped, read_records

    for source, source_format in source_formats(sources, read.input_format).items():
        try:
            for item in read_records(source, source_format, text_field=read.text_field, id_field=read.id_field):
                if isinstance(item, Skipped):
                    if read.strict:
                        summary.stopped = f"{item.where}: {item.reason}; stopped there (strict reading)"
                        return
                    warn(f"Warning: {item.where}: {item.reason}; skipped")
                    summary.skipped += 1
                    continue
                if source_format not in CORPUS_FORMATS and not item.text.strip():
                    warn(f"Note: {source}: no paragraphs (the article is empty or blank)")
                summary.articles += 1
                yield item
        except InputError as exc:
            if read.strict:
                summary.stopped = f"{exc}; stopped there (strict reading)"
                return
            warn(f"Error: {exc}")
            summary.failed += 1


def classify_sources(
    model,
    sources: list[str] | dict[str, str],
    read: ReadOptions,
    write: WriteOptions,
    sink: Sink,
    *,
    jobs: int = 1,
    chunk_size: int = 64,
    warn: Callable[[str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Classify every article of ``sources`` and write the result to ``sink``, then finish it.

    Parameters
    ----------
    model
        A fitted :class:`~triage.model.Model`.
    sources
        Files, or ``-`` for standard input (:func:`triage.corpus.expand_inputs`
        turns folders into their files); or :func:`source_formats`'s mapping of
        them to their formats, when the caller has told them already.
    read, write
        How to read the sources and what to write.
    sink
        Where the output goes; finished (or abandoned, on an exception) here.
    jobs
        Worker processes (1: classify in this process).
    chunk_size
        Articles classified per batch.
    warn
        Called with one line per malformed record skipped (``Warning: ...``) and
        per source that could not be read (``Error: ...``); the run goes on
        without it unless ``read.strict``.
    progress
        Called with the articles read so far, after each chunk.

    Returns
    -------
    Summary
        What was read, classified, dropped, skipped and failed; ``stopped``
        says why a strict run stopped and what became of the output.

    Raises
    ------
    WorkerError
        A worker process died (the output is abandoned).
    """
    warn = warn or (lambda line: None)
    summary = Summary()
    records = read_sources(sources, read, summary, warn)
    try:
        for _, rendered in rendered_chunks(model, chunks(records, chunk_size), write, jobs=jobs):
            sink.write(rendered.output)
            summary.paragraphs += rendered.paragraphs
            summary.dropped += rendered.dropped
            if progress is not None:
                progress(summary.articles)
    except WorkerError as exc:
        sink.abandon()
        raise WorkerError(f"{exc}; {sink.outcome()}" if sink.output is not None else str(exc)) from None
    except BaseException:
        sink.abandon()
        raise
    summary.written = sink.finish(failed=bool(summary.stopped or summary.failed))
    if summary.stopped:
        if not summary.written:
            summary.stopped += f"; {sink.output} was left as it was"
        elif summary.articles:
            where = f" to {sink.output}" if sink.output else ""
            summary.stopped += f"; the {summary.articles} articles before it are written{where}"
    return summary
