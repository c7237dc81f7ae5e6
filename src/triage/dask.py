"""Classify corpora on a Dask cluster (optional extra: ``pip install 'triage[dask]'``).

:func:`classify_dataframe` turns a ``dask.dataframe`` of articles into one of
paragraphs with :meth:`triage.model.Model.classify_frame` per partition. The
model is one object in the task graph, sent to each worker once (not once per
partition). :func:`classify_sources_with_dask` is what ``triage classify
--engine dask --scheduler ADDRESS`` runs: the same rendering as the local
engine, computed on the cluster, written in partition order.
"""

from __future__ import annotations

from triage.errors import ArgumentError, InputError, MissingExtra
from triage.text import read_error


def _require():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise MissingExtra("the Dask engine", "dask") from None
    return dask, dd


def classify_dataframe(frame, model, *, text_column: str = "text", id_column: str = "id", batch_size: int = 64):
    """A dask DataFrame of paragraphs from a dask DataFrame of articles.

    Columns as :meth:`~triage.model.Model.classify_frame` returns them (``id``,
    ``index``, ``start``, ``end``, ``label``, ``score``, ``score_<label>``,
    ``text``); partitions correspond to the input's.
    """
    import pandas as pd

    dask, _ = _require()
    if text_column not in frame.columns:
        raise KeyError(f"no column {text_column!r}; pass text_column=")
    shared = dask.delayed(model, pure=True)
    meta = model.classify_frame(
        pd.DataFrame({text_column: pd.Series([], dtype=object), id_column: pd.Series([], dtype=object)}),
        text_column=text_column,
        id_column=id_column,
    )
    return frame.map_partitions(
        _classify_partition,
        shared,
        text_column,
        id_column,
        batch_size,
        meta=meta,
        align_dataframes=False,
    )


def _classify_partition(part, model, text_column, id_column, batch_size):
    return model.classify_frame(part, text_column=text_column, id_column=id_column, batch_size=batch_size)


def _read(dd, source: str, fmt: str, text_field: str, id_field: str):
    try:
        if fmt == "parquet":
            frame = dd.read_parquet(source)
        elif fmt == "jsonl":
            frame = dd.read_json(source, lines=True, blocksize=2**25, dtype=False)
        else:
            frame = dd.read_csv(source, dtype=str, blocksize=2**25, keep_default_na=False)
    except OSError as exc:
        raise read_error(source, exc) from None
    except Exception as exc:  # readers raise many kinds of errors for a broken file
        raise InputError(f"{source}: cannot be read as {fmt} ({exc})") from None
    for field, option in ((text_field, "`text_field`"), (id_field, "`id_field`")):
        if field not in frame.columns:
            raise InputError(
                f"{source}: no {field!r} column (columns: {', '.join(map(str, frame.columns))}); "
                f"set {option} (the Dask engine needs an id column)"
            )
    return frame[[id_field, text_field]]


def _render_partition(part, model, options, text_field: str, id_field: str):
    from triage.corpus import Record
    from triage.stream import render

    records, skipped = [], 0
    for article_id, text in zip(part[id_field].tolist(), part[text_field].tolist()):
        if not isinstance(text, str):
            skipped += 1
            continue
        records.append(Record(str(article_id), text))
    return render(model, records, options), len(records), skipped


def classify_sources_with_dask(
    model, sources: list[str] | dict[str, str], read, write, sink, *, scheduler: str, warn=None
):
    """Classify corpus files on the cluster at ``scheduler``; write to ``sink`` in order, then finish it.

    The Dask side of :func:`triage.stream.classify_sources`: the same
    :class:`~triage.stream.ReadOptions`, :class:`~triage.stream.WriteOptions`
    and :class:`~triage.stream.Summary`. Each partition (32 MB of input) is
    classified as one batch; a record whose text is not a string is skipped
    (counted, not warned one by one); the corpus needs an id column
    (``read.id_field``, ``id`` by default).
    """
    from triage.stream import Summary, source_formats

    dask, dd = _require()
    try:
        from dask.distributed import Client
    except ImportError:
        raise MissingExtra("the Dask engine", "dask") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (ValueError, TypeError) as exc:  # distributed's parse of the address
        raise ArgumentError(
            f"`scheduler` {scheduler}: not a Dask scheduler address ({exc}); give one like tcp://host:8786"
        ) from None
    except (OSError, TimeoutError) as exc:
        raise InputError(f"`scheduler` {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    formats = source_formats(sources, read.input_format)
    summary = Summary()
    id_field = read.id_field or "id"
    try:
        with client:
            [shared] = client.scatter([model], broadcast=True)
            for source, source_format in formats.items():
                frame = _read(dd, source, source_format, read.text_field, id_field)
                parts = frame.to_delayed()
                futures = client.compute(
                    [dask.delayed(_render_partition)(part, shared, write, read.text_field, id_field) for part in parts]
                )
                for future in futures:  # in partition order, as each is ready
                    rendered, articles, bad = future.result()
                    summary.articles += articles
                    summary.skipped += bad
                    summary.paragraphs += rendered.paragraphs
                    summary.dropped += rendered.dropped
                    sink.write(rendered.output)
    except BaseException:
        sink.abandon()
        raise
    summary.written = sink.finish()
    return summary
