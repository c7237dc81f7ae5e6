"""The ``triage`` command: parse options, call the library, render, map errors to exit codes.

scikit-learn, joblib and pandas are imported inside the commands that need them,
so ``triage --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import re
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

try:  # typer 0.2x ships its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # older typer runs on click itself
    from click import exceptions as click_errors

from triage import __version__, config
from triage.errors import InputError, LabelError, ModelError, TriageError, UsageError

app = typer.Typer(
    name="triage",
    help="Label the paragraphs of incident reports: attack, state_response, social_context, boilerplate.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


# The library names a parameter in backticks (see triage.errors); the command line shows the option.
_OPTIONS = {
    "fmt": "--format",
    "folds": "--folds",
    "force": "--force",
    "html": "--html",
    "id_field": "--id-field",
    "input_format": "--input-format",
    "jobs": "--jobs",
    "labels_dir": "--labels",
    "model": "--model",
    "output": "--output",
    "own": "--own",
    "own_weight": "--own-weight",
    "plot": "--plot",
    "scheduler": "--scheduler",
    "steps": "--steps",
    "text_field": "--text-field",
    "trust_pickle": "--trust-pickle",
}
_PARAMETER = re.compile(r"`([a-z][a-z_]*)`")


def cli_terms(message: str) -> str:
    """A library message in the command line's terms: `` `text_field` `` becomes ``--text-field``."""
    return _PARAMETER.sub(lambda m: _OPTIONS.get(m.group(1), m.group(0)), message)


def _err(message: str) -> None:
    message = cli_terms(message)
    if _on_terminal(sys.stderr):  # file names and fields from the input may hold escapes
        from triage.text import escape_controls

        message = escape_controls(message)
    typer.echo(message, err=True)


def _on_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _note(message: str) -> None:
    _err(f"Note: {message}")


def _started() -> None:
    """Start-up is over: freeze what it allocated and let the cyclic collector run.

    :func:`main` pauses the collector: importing scikit-learn and unpickling a
    model allocate several hundred thousand objects that live as long as the
    process, and Python's collector would scan them again and again while they
    are made (about 0.2 s of a 1.6 s cold start). ``gc.freeze`` moves them out
    of its sight for the rest of the run, so long runs collect as usual.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _user_errors(command=None, *, loads_model: bool = False):
    """Turn a :class:`TriageError` into ``Error: ...`` on stderr and its exit code.

    A command that ``loads_model`` calls :func:`_started` itself once its model
    is loaded; any other gets the collector back before it starts.
    """
    if command is None:
        return functools.partial(_user_errors, loads_model=loads_model)

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        if not loads_model:
            _started()
        try:
            return command(*args, **kwargs)
        except TriageError as exc:
            _err(f"Error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:  # the reader went away (| head): done, not failed; click would exit 1
            _quiet_stdout()
            raise typer.Exit(0) from None
        finally:
            _started()

    return wrapper


@contextlib.contextmanager
def _progress(description: str):
    """A callback ``(done, total)`` drawing a progress bar on stderr, if stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


DEFAULT_MODEL = "the default model: models/triage.joblib of an editable install, else in the user cache folder"

TRUST_PICKLE_OPTION = typer.Option(
    False,
    "--trust-pickle",
    help="Load a pickle-based model file (from triage before data model files). A pickle can "
    "run any code: only for a file you made yourself.",
)
FORCE_OPTION = typer.Option(
    False, "--force", help="With --trust-pickle: load a pickle saved by another scikit-learn version anyway."
)
MODEL_OPTION = typer.Option(
    None, "--model", help=f"Model file. [default: {DEFAULT_MODEL}; built from labels/ if absent]"
)
LABELS_OPTION = typer.Option(None, "--labels", help="Folder of label files. [default: the project's labels/]")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"triage {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Label the paragraphs of incident reports: attack, state_response, social_context, boilerplate."""


@app.command()
@_user_errors
def train(
    labels: Optional[Path] = LABELS_OPTION,
    model: Optional[Path] = typer.Option(
        None, "--model", help=f"Where to write the model. [default: {DEFAULT_MODEL}]"
    ),
    no_eval: bool = typer.Option(
        False, "--no-eval", help="Skip the leave-one-article-out cross-validation."
    ),
) -> None:
    """Train the model on all labels, report leave-one-article-out figures, save it.

    Example: triage train --labels labels/ --model models/triage.joblib
    """
    from triage.api import train as train_model
    from triage.persist import save_model
    from triage.cli.report import format_evaluation

    model_path = model or config.default_model_path()
    with _progress("cross-validating (articles)") as progress:
        fitted, evaluation = train_model(labels, evaluate=not no_eval, progress=progress)
    if evaluation is not None:
        typer.echo(format_evaluation(evaluation.as_dict(), title="Leave-one-article-out cross-validation"))
        typer.echo("")
    counts = ", ".join(f"{k} {v}" for k, v in fitted.metadata["label_counts"].items())
    typer.echo(f"Trained on {fitted.metadata['n_articles']} articles: {counts}")
    html = fitted.metadata.get("html_cross_validation")
    pages_dir = (labels or config.labels_dir()) / config.HTML_PAGES
    if not html and pages_dir.is_dir():
        found = sum(1 for _ in pages_dir.rglob("*.html"))
        _note(
            f"{pages_dir}: {found} labelled page{'s' * (found != 1)}; the HTML stage needs two or more, "
            "so none was fitted (pages are classified from their text alone)"
        )
    if html:
        typer.echo(
            f"HTML stage on {html['pages']} labelled pages ({html['blocks']} blocks), {html['folds']}-fold "
            f"page-grouped cross-validation: story words kept {html['content_recall']:.3f}, precision "
            f"{html['content_precision']:.3f}, F1 {html['content_f1']:.3f} at drop threshold {html['threshold']:.3f}"
        )
    save_model(fitted, model_path)
    typer.echo(f"Saved {model_path}")


class OutputFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"
    text = "text"
    parquet = "parquet"


def _label_set(value: Optional[str], option: str) -> set[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in config.LABELS and n != config.UNCERTAIN]
    if unknown or not names:
        raise UsageError(
            f"{option}: unknown label {unknown[0] if unknown else value!r}; "
            f"expected comma-separated names from {', '.join(config.LABELS)}"
        )
    return set(names)


def _output_suffixes() -> dict[str, str]:
    """Output format by file name ending: the input suffixes of the formats triage also writes."""
    from triage.corpus import SUFFIX_FORMATS

    written = {"txt": "text", "jsonl": "jsonl", "csv": "csv", "parquet": "parquet"}
    return {suffix: written[fmt] for suffix, fmt in SUFFIX_FORMATS.items() if fmt in written}


def _format_for(output: Path) -> OutputFormat:
    """The output format an ``--output`` file's extension names.

    A device or named pipe (``/dev/stdout``) gets JSON Lines, as a pipe does;
    any other file must say its format, so ``x.tsv`` is not silently JSONL.
    """
    if output.is_dir():
        import errno

        from triage._atomic import write_error

        raise write_error(output, IsADirectoryError(errno.EISDIR, "is a folder"), fix="")
    by_suffix = _output_suffixes().get(output.suffix.lower())
    if by_suffix is not None:
        return OutputFormat(by_suffix)
    if output.exists() and not output.is_file() and not output.is_dir():
        return OutputFormat.jsonl
    known = ", ".join(sorted(_output_suffixes()))
    raise UsageError(
        f"--output {output}: cannot tell the format from {output.suffix or 'a name without an extension'!r}; "
        f"give --format (jsonl, csv, text or parquet) or one of {known}"
    )


def _capped_jobs(jobs: int) -> int:
    """``--jobs``, at most one worker per CPU (more only fill memory)."""
    from triage.stream import max_jobs

    cap = max_jobs()
    if jobs > cap:
        _note(f"--jobs {jobs}: this machine has {cap} CPU{'s' * (cap != 1)} for triage; using {cap} workers")
        return cap
    return jobs


def _load_model(path: Optional[Path], *, force: bool = False, trust_pickle: bool = False):
    """:func:`triage.api.load_model`, with a file that is not what it claims turned into one error.

    A model file whose metadata has the wrong shape (a list, a string where a
    mapping belongs) fails deep in the loader with an ``AttributeError`` or
    ``TypeError``; for the user it is a broken model file like any other.
    """
    from triage.api import load_model

    try:
        return load_model(path, force=force, trust_pickle=trust_pickle, note=_note)
    except TriageError:
        raise
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
        shown = path if path is not None else config.default_model_path()
        raise ModelError(
            shown, f"not a usable triage model ({type(exc).__name__} in its metadata: {exc})", ModelError.REBUILD
        ) from None


class Engine(str, Enum):
    local = "local"
    dask = "dask"


@app.command()
@_user_errors(loads_model=True)
def classify(
    paths: list[str] = typer.Argument(
        ...,
        help="Articles (.txt, .html), corpora (.jsonl, .csv, .parquet: one article per record), "
        "folders of them, or - for standard input.",
    ),
    model: Optional[Path] = MODEL_OPTION,
    output_format: Optional[OutputFormat] = typer.Option(
        None,
        "--format",
        help="table, jsonl, csv, text or parquet. [default: from --output's extension; "
        "else table on a terminal, jsonl otherwise]",
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write to this file (atomically) instead of standard output."
    ),
    drop: Optional[str] = typer.Option(
        None, "--drop", help="Comma-separated labels to leave out, e.g. boilerplate."
    ),
    keep: Optional[str] = typer.Option(
        None, "--keep", help="Comma-separated labels to keep; the rest are left out."
    ),
    min_score: Optional[float] = typer.Option(
        None,
        "--min-score",
        min=0.0,
        max=1.0,
        help="Label 'uncertain' a paragraph whose best score is below this (0 to 1).",
    ),
    drop_threshold: Optional[float] = typer.Option(
        None,
        "--drop-threshold",
        min=0.0,
        max=1.0,
        help="With --drop boilerplate: the boilerplate score from which a paragraph is dropped; "
        "higher keeps more (recall), lower drops more (precision). [default: the model's]",
    ),
    input_format: Optional[str] = typer.Option(
        None,
        "--input-format",
        help="txt, html, jsonl, csv or parquet. [default: from each file's extension, else txt]",
    ),
    text_field: str = typer.Option("text", "--text-field", help="Corpus field holding the article text."),
    id_field: Optional[str] = typer.Option(
        None,
        "--id-field",
        help="Corpus field holding the article id (output 'source'). [default: id, where a record has one]",
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Stop at the first malformed record instead of skipping it."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    chunk_size: Optional[int] = typer.Option(
        None, "--chunk-size", min=1, help="Articles classified per batch (local engine). [default: 64]"
    ),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local, or dask (with --scheduler)."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask scheduler address for --engine dask, e.g. tcp://host:8786."
    ),
    per_article: bool = typer.Option(
        False,
        "--per-article",
        help="One record per article (id, the corpus record's other fields in JSON Lines, the kept text, "
        "the dropped count) instead of one per paragraph; with --format jsonl, csv or parquet.",
    ),
    force: bool = FORCE_OPTION,
    trust_pickle: bool = TRUST_PICKLE_OPTION,
) -> None:
    """Label every paragraph of the given articles with a type and a score.

    --drop boilerplate drops a paragraph when its boilerplate score is the
    highest and reaches the drop threshold (--drop-threshold, or the model's,
    chosen in training to keep 98% of story paragraphs), whatever --min-score
    made of its label. Output is one record per paragraph; --per-article
    writes one per article instead: id, the cleaned text and the dropped count.
    Every run ends with a one-line summary on stderr.

    Example: triage classify --drop boilerplate --format text report.txt > clean.txt

    Example: triage classify corpus.jsonl --drop boilerplate --per-article --output clean.jsonl --jobs 2
    """
    from triage.corpus import CORPUS_FORMATS, expand_inputs
    from triage.stream import source_formats

    drop_set = _label_set(drop, "--drop")
    keep_set = _label_set(keep, "--keep")
    if drop_set is not None and keep_set is not None:
        raise UsageError("--drop and --keep: give one of them, not both")
    if drop_threshold is not None and not (drop_set and "boilerplate" in drop_set):
        raise UsageError("--drop-threshold: applies to --drop boilerplate; add it or leave the threshold out")
    if output is not None and output_format is OutputFormat.table:
        raise UsageError("--format table: draws on the terminal; give jsonl, csv, text or parquet with --output")
    if output_format is not None:
        fmt = output_format
    elif output is not None:
        fmt = _format_for(output)
    else:
        fmt = OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl
    if fmt is OutputFormat.parquet and output is None:
        raise UsageError("--format parquet: Parquet is binary; write it to a file with --output FILE")
    if per_article and fmt not in (OutputFormat.jsonl, OutputFormat.csv, OutputFormat.parquet):
        raise UsageError(f"--per-article: writes records; give --format jsonl, csv or parquet (not {fmt.value})")
    if engine is Engine.dask and chunk_size is not None:
        raise UsageError("--chunk-size: the Dask engine classifies a partition (32 MB of input) at a time; leave it out")
    jobs = _capped_jobs(jobs)
    sources = expand_inputs(paths)
    formats = source_formats(sources, input_format)
    if input_format is None and formats.get("-", "txt") != "txt":
        _note(f"standard input looks like {formats['-']}; reading it as such (--input-format txt reads it as text)")
    corpus = any(f in CORPUS_FORMATS for f in formats.values())

    from triage.stream import ReadOptions, Sink, WriteOptions, classify_sources

    write = WriteOptions(
        fmt=fmt.value,
        drop=frozenset(drop_set) if drop_set else None,
        keep=frozenset(keep_set) if keep_set else None,
        min_score=min_score,
        drop_threshold=drop_threshold,
        per_article=per_article,
    )
    read = ReadOptions(input_format=input_format, text_field=text_field, id_field=id_field, strict=strict)
    if engine is Engine.dask and not scheduler:
        raise UsageError("--engine dask: give the cluster's --scheduler ADDRESS (e.g. tcp://host:8786)")
    if engine is Engine.dask and any(f not in CORPUS_FORMATS for f in formats.values()):
        raise UsageError("--engine dask: reads corpora (.jsonl, .csv, .parquet) only")
    fitted = _load_model(model, force=force, trust_pickle=trust_pickle)
    _started()
    from triage.cli.render import draw_table

    sink = Sink(write, output, many_sources=len(sources) > 1 or corpus, draw=draw_table)
    if engine is Engine.dask:
        from triage.dask import classify_sources_with_dask

        summary = classify_sources_with_dask(fitted, formats, read, write, sink, scheduler=scheduler, warn=_err)
    else:
        with _progress("classifying (articles)") as progress:
            summary = classify_sources(
                fitted, formats, read, write, sink, jobs=jobs, chunk_size=chunk_size or 64, warn=_err,
                progress=None if progress is None else (lambda articles: progress(articles, None)),
            )
    _note(summary.line())
    if summary.stopped:
        raise InputError(summary.stopped)
    if summary.failed:
        if not summary.written:
            _note(f"{output} was left as it was, since an input failed")
        raise typer.Exit(1)


class Order(str, Enum):
    uncertainty = "uncertainty"
    document = "document"
    unsure = "unsure"
    review = "review"


def _annotator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return ""


@app.command()
@_user_errors(loads_model=True)
def label(
    paths: list[str] = typer.Argument(
        None, help="Article files (.txt) or folders of them. [default with --order unsure/review: the labels folder's articles]"
    ),
    labels: Optional[Path] = typer.Option(
        None, "--labels", help="Folder to save labels in. [default: the project's labels/]"
    ),
    model: Optional[Path] = typer.Option(
        None,
        "--model",
        help="Model for the suggestions. [default: one trained on --labels, cached; without --labels, "
        f"{DEFAULT_MODEL}]",
    ),
    order: Order = typer.Option(
        Order.uncertainty,
        "--order",
        help="uncertainty: least sure paragraphs first, across articles; document: reading order; "
        "unsure: the paragraphs marked unsure; review: labelled paragraphs the model reads "
        "otherwise (likely mislabels, most suspect first).",
    ),
    retrain_every: int = typer.Option(
        25,
        "--retrain-every",
        min=0,
        help="Refit the model on the labels in the background every N answers (0: never).",
    ),
    annotator: Optional[str] = typer.Option(
        None, "--annotator", help="Name recorded with every answer. [default: your user name]"
    ),
    folds: int = typer.Option(10, "--folds", min=2, help="With --order review: grouped folds for the search."),
    adjudicate: Optional[tuple[Path, Path]] = typer.Option(
        None,
        "--adjudicate",
        help="DIR_A DIR_B: walk the paragraphs two labels folders label differently, showing both "
        "answers, and save the decisions (and the labels both agree on) in --labels.",
    ),
    trust_pickle: bool = TRUST_PICKLE_OPTION,
) -> None:
    """Label articles paragraph by paragraph in the terminal, with the model's suggestions.

    Keys: 1-4 or a/s/c/b choose attack, state_response, social_context, boilerplate;
    Enter accepts the suggestion; n marks unsure (with a note); k skips; left/p goes
    back to an earlier answer and right forward; u undoes; v shows the whole article;
    ? shows the guide's definitions and tie-breaks; q quits. Every answer is saved at
    once, with the annotator and the time; run the same command again to resume.

    Example: triage label new_reports/
    """
    if not sys.stdin.isatty():
        raise UsageError(
            "triage label: standard input is not a terminal; run it in an interactive "
            "terminal (to label in bulk, edit the CSV files or use 'triage labels import')"
        )
    from triage.labelling.session import LabelsLock, article_paths

    if adjudicate is not None:
        if labels is None:
            raise UsageError("--adjudicate: give the folder to save the decisions in with --labels OUT")
        if paths:
            raise UsageError("--adjudicate: takes no article paths; the articles are those of the two folders")
        if labels.resolve() in (adjudicate[0].resolve(), adjudicate[1].resolve()):
            raise UsageError("--adjudicate: --labels must be a third folder, not one of the two compared")
        with LabelsLock(labels):
            _adjudicate(adjudicate, labels, annotator if annotator is not None else _annotator())
        return
    labels_dir = labels or config.labels_dir()
    if not paths and order not in (Order.unsure, Order.review):
        raise UsageError("triage label: give article files or folders (or --order unsure / review)")
    files = article_paths(paths) if paths else []
    # The lock first: a second session is refused before the slow imports.
    with LabelsLock(labels_dir):
        _label_session(labels_dir, files, labels is not None, model, order, retrain_every,
                       annotator if annotator is not None else _annotator(), folds, trust_pickle)


def _adjudicate(folders: tuple[Path, Path], out_dir: Path, annotator: str) -> None:
    from rich.console import Console

    from triage.cli import terminal
    from triage.labelling.session import Session, adjudication

    folder_a, folder_b = folders
    plan = adjudication(folder_a, folder_b, out_dir)
    session = Session(plan.articles, order="review", annotator=annotator, queue=plan.queue)
    session.compare = plan.answers
    session.compare_names = (str(folder_a), str(folder_b))
    _started()
    agreed = f"{plan.agreed} labels both give copied to {out_dir}; " if plan.agreed else ""
    if session.current is None:
        _note(f"{agreed}no disagreement left to decide")
        return
    _note(f"{agreed}{len(plan.queue)} disagreements to decide")
    _run_screen(session, Console(highlight=False), None, 0, terminal.read_guide(out_dir, folder_a, config.labels_dir()), out_dir)


def _run_screen(session, console, retrainer, retrain_every, guide, labels_dir: Path) -> None:
    """The labelling screen on this terminal until it ends, then the session's summary.

    Ctrl-C ends it with its summary too, and exit code 130.
    """
    from triage.cli import terminal

    # A Ctrl-C between two key reads arrives as SIGINT: make it the same
    # KeyboardInterrupt, which the session ends on with its summary.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with terminal.keys_from_terminal(sys.stdin.fileno()) as read_key:
            ended = terminal.run(
                session, getchar=read_key, console=console, retrainer=retrainer,
                retrain_every=retrain_every, guide=guide,
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    typer.echo(session.summary(terminal.labelled_total(labels_dir)))
    if ended == "interrupted":
        raise typer.Exit(130)


def _label_session(labels_dir, files, own_labels, model, order, retrain_every, annotator, folds, trust_pickle):
    from rich.console import Console

    from triage.cli import terminal
    from triage.labelling.session import Session, open_article, session_articles

    articles = [open_article(path, labels_dir) for path in files] if files else session_articles(labels_dir)
    queue, pairs = None, []
    if order is Order.review:
        from triage.labelling.review import mislabel_suspects
        from triage.labelling.files import load_labels

        labelled = [a for a in load_labels(labels_dir) if a.labels]
        with _progress("looking for likely mislabels (cross-validation)") as _:
            suspects = mislabel_suspects(labelled, folds=folds)
        position = {a.label_path.resolve(): n for n, a in enumerate(articles)}
        pairs = [
            ((position[key], s.index), s)
            for s in suspects
            if (key := s.article.label_path.resolve()) in position
        ]
        queue = [item for item, _ in pairs]
    session = Session(articles, order=order.value, annotator=annotator, queue=queue)
    if session.current is None:
        what = {"unsure": "marked unsure", "review": "looks mislabelled"}.get(order.value)
        if what:
            _note(f"no paragraph of the {len(articles)} article(s) {what}")
        else:
            _note(f"every paragraph of the {len(articles)} given article(s) is labelled already")
        return
    console = Console(highlight=False)
    if order is Order.review:
        from triage.labelling.session import Suggestion

        session.suggestions = {item: Suggestion(s.other, s.other_probability) for item, s in pairs}
        retrain_every = 0
        _started()
    else:
        session.suggest_with(_starting_model(labels_dir, own_labels, model, trust_pickle))
        _started()

    def refit():
        from triage.api import train as train_model

        return train_model(labels_dir, evaluate=False)[0]

    retrainer = terminal.Retrainer(refit) if retrain_every else None
    guide = terminal.read_guide(labels_dir, config.labels_dir())
    _run_screen(session, console, retrainer, retrain_every, guide, labels_dir)


def _starting_model(labels_dir: Path, own_labels: bool, model: Optional[Path], trust_pickle: bool):
    """The model that suggests: ``--model``, else one trained on ``--labels``, else the default model."""
    if model is not None or not own_labels:
        return _load_model(model, trust_pickle=trust_pickle)
    from triage.api import labels_model

    try:
        return labels_model(labels_dir, note=_note)
    except LabelError as exc:
        _note(f"no model from {labels_dir} ({exc}); the suggestions come from the default model")
        return _load_model(None, trust_pickle=trust_pickle)


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


labels_app = typer.Typer(
    help="Check, count, compare, export and import label files.\n\nExample: triage labels check",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(labels_app, name="labels")



@labels_app.command("check")
@_user_errors
def labels_check(
    labels: Optional[Path] = LABELS_OPTION,
    no_model: bool = typer.Option(
        False, "--no-model", help="Skip the search for likely mislabels (it cross-validates a model)."
    ),
    folds: int = typer.Option(10, "--folds", min=2, help="Grouped folds for the mislabel search."),
    show: int = typer.Option(30, "--show", min=0, help="Likely mislabels to list (least likely first)."),
) -> None:
    """Validate every label file, find conflicting labels and likely mislabels.

    Errors (broken files, identical texts with different labels) exit with 1;
    warnings (likely mislabels: a low out-of-fold probability for the paragraph's
    own label, confident learning) leave the exit code at 0.

    Example: triage labels check
    """
    from triage.labelling.review import check_labels

    labels_dir = labels or config.labels_dir()
    with _progress("checking labels") as _:
        report = check_labels(labels_dir, mislabels=not no_model, folds=folds)
    for line in report.errors:
        typer.echo(f"error: {line}")
    for line in report.warnings[:show]:
        typer.echo(f"warning: {line}")
    if len(report.warnings) > show:
        typer.echo(f"... and {len(report.warnings) - show} more (see --show)")
    for line in report.unsure:
        typer.echo(f"unsure: {line}")
    n = sum(len(a.labels) for a in report.articles)
    unsure = f", {len(report.unsure)} marked unsure (ask them again: triage label --order unsure)" if report.unsure else ""
    typer.echo(
        f"{labels_dir}: {len(report.articles)} articles, {n} labelled paragraphs{unsure}; "
        f"{len(report.errors)} errors, {len(report.warnings)} warnings (likely mislabels)"
    )
    if report.errors:
        raise typer.Exit(1)


@labels_app.command("stats")
@_user_errors
def labels_stats(
    labels: Optional[Path] = LABELS_OPTION,
    output_format: ReportFormat = typer.Option(
        ReportFormat.text, "--format", help="text (a table) or json."
    ),
) -> None:
    """Count labelled paragraphs per class and per article.

    Example: triage labels stats --labels labels/
    """
    from triage.labelling.review import label_stats
    from triage.labelling.files import load_labels

    labels_dir = labels or config.labels_dir()
    rows = label_stats(load_labels(labels_dir), labels_dir)
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(rows, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in rows[0]:
        table.add_column(column, justify="left" if column == "article" else "right")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    totals = {k: sum(r[k] for r in rows) for k in rows[0] if k != "article"}
    table.add_row(f"total ({len(rows)} articles)", *(str(v) for v in totals.values()), style="bold")
    Console(width=max(150, Console().width)).print(table)


class ExportFormat(str, Enum):
    doccano = "doccano"
    labelstudio = "labelstudio"


@labels_app.command("export")
@_user_errors
def labels_export(
    output_format: ExportFormat = typer.Option(
        ..., "--format", help="doccano (JSONL) or labelstudio (JSON tasks)."
    ),
    labels: Optional[Path] = LABELS_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write. [default: stdout]"),
    model: Optional[Path] = MODEL_OPTION,
    no_predictions: bool = typer.Option(False, "--no-predictions", help="Leave the predictions out."),
    trust_pickle: bool = TRUST_PICKLE_OPTION,
) -> None:
    """Export every paragraph with its label (and the model's prediction) for doccano or Label Studio.

    Example: triage labels export --format labelstudio -o review.json
    """
    from triage.labelling.exchange import export_records, write_export
    from triage.labelling.files import load_labels

    labels_dir = labels or config.labels_dir()
    articles = load_labels(labels_dir)
    fitted = None if no_predictions else _load_model(model, trust_pickle=trust_pickle)
    records = export_records(articles, output_format.value, fitted)
    write_export(records, output_format.value, output, sys.stdout)
    if output is not None:
        _note(f"{len(records)} paragraphs of {len(articles)} articles written to {output}")


@labels_app.command("import")
@_user_errors
def labels_import(
    path: Path = typer.Argument(..., help="A doccano JSONL or Label Studio JSON export."),
    labels: Optional[Path] = LABELS_OPTION,
) -> None:
    """Bring labels reviewed in doccano or Label Studio back into the labels folder.

    The format is told from the file. All records are checked before anything is
    written; an article's labels become the imported ones.

    Example: triage labels import review.json
    """
    from triage.labelling.exchange import import_labels

    if not path.is_file():
        raise InputError(f"{path}: no such file; give a doccano .jsonl or Label Studio .json export")
    labels_dir = labels or config.labels_dir()
    result = import_labels(path, labels_dir)
    typer.echo(
        f"Imported {result.articles} articles into {labels_dir} ({result.new_articles} new): "
        f"{result.added} labels added, {result.changed} changed, {result.removed} removed"
    )


@labels_app.command("agree")
@_user_errors
def labels_agree(
    dir_a: Path = typer.Argument(..., help="One analyst's labels folder (the rows of the confusion matrix)."),
    dir_b: Path = typer.Argument(..., help="The other analyst's labels of the same articles (the columns)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with every figure and list."),
    show: int = typer.Option(20, "--show", min=0, help="Disagreements to list (--json lists them all)."),
) -> None:
    """Measure how far two analysts' labels of the same articles agree.

    Label files are paired by name; an article whose text differs between the
    folders is reported, not compared. Prints the agreement and Cohen's kappa
    overall and per article, the confusion matrix (rows DIR_A, columns DIR_B)
    and the disagreements. Rows labelled 'unsure' count as not labelled.

    Example: triage labels agree labels/ ../second_annotator/labels/
    """
    from triage.labelling.agreement import compare_labels
    from triage.cli.report import format_agreement

    figures = compare_labels(dir_a, dir_b).as_dict()
    if as_json:
        typer.echo(json.dumps(figures, indent=1))
    else:
        typer.echo(format_agreement(figures, show=show))




@app.command()
@_user_errors
def evaluate(
    labels: Optional[Path] = LABELS_OPTION,
    benchmark: Optional[Path] = typer.Option(
        None,
        "--benchmark",
        help="Score the model on this folder of real text in the shared/benchmarks layout "
        "(paragraph labels: per-class F1; content/boilerplate: the boilerplate filter) "
        "instead of cross-validating.",
    ),
    html: bool = typer.Option(
        False, "--html", help="With --benchmark: read the folder's html/*.html.gz pages instead of the text."
    ),
    drop_threshold: Optional[float] = typer.Option(
        None,
        "--drop-threshold",
        min=0.0,
        max=1.0,
        help="With --benchmark: boilerplate probability from which a line is dropped. "
        "[default: the model's stored threshold]",
    ),
    model: Optional[Path] = MODEL_OPTION,
    output_format: ReportFormat = typer.Option(
        ReportFormat.text, "--format", help="text for people, json for scripts."
    ),
    plot: Optional[Path] = typer.Option(
        None,
        "--plot",
        help="Also draw the cross-validation confusion matrix to this PNG file; with "
        "--learning-curve, the curve (a .png or .svg file).",
    ),
    no_justext: bool = typer.Option(False, "--no-justext", help="Leave out the jusText baseline."),
    learning_curve: bool = typer.Option(
        False,
        "--learning-curve",
        help="Train on the labels plus 0, 5, 10, ... of your own articles (--own) and score each "
        "model on your articles it did not see (article-grouped K-fold), to see whether labelling "
        "more is worth it.",
    ),
    own: Optional[Path] = typer.Option(
        None,
        "--own",
        help="With --learning-curve: your labelled articles, a labels folder (<name>.csv and .txt) "
        "or a benchmark folder (pages/*.txt and gold.csv).",
    ),
    steps: Optional[str] = typer.Option(
        None,
        "--steps",
        help="With --learning-curve: own articles to train on, step by step. [default: 0,5,10,20,40,80]",
    ),
    folds: Optional[int] = typer.Option(
        None,
        "--folds",
        help="With --learning-curve: article-grouped folds over your articles (as many as articles: "
        "leave-one-article-out). [default: 5]",
    ),
    own_weight: Optional[float] = typer.Option(
        None,
        "--own-weight",
        help="With --learning-curve: sample weight of your paragraphs, a shipped one weighing 1. [default: 1]",
    ),
    force: bool = FORCE_OPTION,
    trust_pickle: bool = TRUST_PICKLE_OPTION,
) -> None:
    """Measure the model: on real text (--benchmark), or leave-one-article-out on your labels.

    --learning-curve --own DIR shows how the model does on your own articles as
    more of them are added to the labels.

    Example: triage evaluate --benchmark ../shared/benchmarks/muc

    Example: triage evaluate --benchmark ../shared/benchmarks/wcxb --html

    Example: triage evaluate --plot confusion.png

    Example: triage evaluate --learning-curve --own my-labels/ --steps 0,5,10,20 --plot curve.png
    """
    from triage.evaluation import evaluate as ev
    from triage.cli import report

    if learning_curve:
        clashes = {
            "--benchmark": benchmark,
            "--model": model,
            "--html": html or None,
            "--drop-threshold": drop_threshold,
            "--no-justext": no_justext or None,
        }
        _learning_curve(labels, own, steps, folds, own_weight, output_format, plot, clashes=clashes)
        return
    for name, value in {"--own": own, "--steps": steps, "--folds": folds, "--own-weight": own_weight}.items():
        if value is not None:
            raise UsageError(f"{name}: needs --learning-curve")
    if benchmark is not None:
        if plot is not None:
            raise UsageError("--plot: draws the cross-validation confusion matrix; leave out --benchmark")
        from triage.evaluation import benchmarks as bench

        kind = bench.kind(benchmark)
        if kind == "paragraphs" and (html or drop_threshold is not None):
            raise UsageError(
                f"{'--html' if html else '--drop-threshold'}: {benchmark} has paragraph labels "
                "(scored per class, from the text); leave it out"
            )
        fitted = _load_model(model, force=force, trust_pickle=trust_pickle)
        if kind == "paragraphs":
            result = bench.evaluate_paragraphs(fitted, benchmark)
            text = report.format_paragraph_benchmark(result)
        else:
            result = bench.evaluate_body(
                fitted, benchmark, with_justext=not no_justext, threshold=drop_threshold, html=html
            )
            text = report.format_benchmark(result)
    else:
        if model is not None:
            raise UsageError("--model: cross-validation trains its own models; use it with --benchmark")
        if html or drop_threshold is not None:
            raise UsageError(f"{'--html' if html else '--drop-threshold'}: needs --benchmark DIR")
        labels_dir = labels or config.labels_dir()
        baselines = [b for b in ev.BASELINES if not (no_justext and b == "justext")]
        result = ev.evaluate_labels(labels_dir, baselines=baselines)
        text = report.format_labels_evaluation(result)
        if plot is not None:
            ev.plot_confusion(result["model"], plot, title="triage, leave-one-article-out")
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(text)
    if plot is not None:
        _note(f"confusion matrix drawn to {plot}")


def _learning_curve(labels, own, steps, folds, own_weight, output_format, plot, *, clashes) -> None:
    """``evaluate --learning-curve``: check the options, run the curve, print it, draw it."""
    from triage.cli import report
    from triage.evaluation import curve

    for name, value in clashes.items():
        if value is not None:
            raise UsageError(
                f"{name}: not used by --learning-curve (it trains its own models on --labels and --own); leave it out"
            )
    if own is None:
        raise UsageError("--learning-curve: needs --own DIR, a folder of your own labelled articles")
    if plot is not None:
        curve.check_plot(plot)  # before the fits, not after them
    with _progress("learning curve (models)") as progress:
        result = curve.learning_curve(
            labels or config.labels_dir(),
            own,
            curve.parse_steps(steps) if steps is not None else curve.DEFAULT_STEPS,
            curve.DEFAULT_FOLDS if folds is None else folds,
            curve.DEFAULT_OWN_WEIGHT if own_weight is None else own_weight,
            progress=progress,
        )
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(report.format_learning_curve(result))
    if plot is not None:
        curve.plot_learning_curve(result, plot)
        _note(f"learning curve drawn to {plot}")


@app.command()
@_user_errors(loads_model=True)
def explain(
    paths: Optional[list[str]] = typer.Argument(
        None, help="Articles, corpora, folders or - to explain; none: the model's strongest features."
    ),
    model: Optional[Path] = MODEL_OPTION,
    top: Optional[int] = typer.Option(
        None, "--top", min=1, help="Features to show. [default: 20 per class, 5 per paragraph]"
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines: one object per class or per paragraph."),
    input_format: Optional[str] = typer.Option(
        None, "--input-format", help="txt, html, jsonl, csv or parquet. [default: from each file's extension]"
    ),
    text_field: str = typer.Option("text", "--text-field", help="Corpus field holding the article text."),
    id_field: Optional[str] = typer.Option(None, "--id-field", help="Corpus field holding the article id."),
    force: bool = FORCE_OPTION,
    trust_pickle: bool = TRUST_PICKLE_OPTION,
) -> None:
    """Show which features push the model toward each label, per class or per paragraph.

    Without paths: the strongest features of each class, to audit what the model
    learned (names and numbers are masked as "xname" and "0"). With paths: each
    paragraph's label and the features that pushed it there.

    Example: triage explain --top 20

    Example: triage explain report.txt --json
    """
    from triage.corpus import expand_inputs
    from triage.explain import top_features
    from triage.stream import ReadOptions, Summary, read_sources, source_formats

    formats = source_formats(expand_inputs(paths), input_format) if paths else {}
    fitted = _load_model(model, force=force, trust_pickle=trust_pickle)
    _started()
    if not paths:
        for label, features in top_features(fitted, top or 20).items():
            if as_json:
                typer.echo(json.dumps({"label": label, "features": [[n, round(w, 6)] for n, w in features]}))
                continue
            typer.echo(f"{label}:")
            for name, weight in features:
                typer.echo(f"  {weight:+7.3f}  {name}")
        return
    summary = Summary()
    read = ReadOptions(input_format=input_format, text_field=text_field, id_field=id_field)
    for item in read_sources(formats, read, summary, _err):
        _explain_one(fitted, item.id, item.text, top or 5, as_json=as_json)
    if summary.failed:
        raise typer.Exit(1)


def _explain_one(fitted, source: str, text: str, top: int, *, as_json: bool = False) -> None:
    """Print each paragraph of one article with the features behind its label."""
    from triage.explain import explain_paragraphs
    from triage.text import escape_controls, split_paragraphs

    explained = explain_paragraphs(fitted, split_paragraphs(text), top)
    if as_json:
        for item in explained:
            p = item.paragraph
            typer.echo(json.dumps({
                "source": source, "index": p.index, "label": p.label, "score": round(p.score, 6),
                "reasons": [[name, round(value, 6)] for name, value in item.reasons],
                "first_pass_label": item.first_pass_label, "text": p.text,
            }, ensure_ascii=False))
        return
    typer.echo(f"== {escape_controls(source)}")  # read by people: input escapes are shown, not run
    for item in explained:
        p = item.paragraph
        typer.echo(f"#{p.index} {p.label} {p.score:.2f}  {escape_controls(p.text[:90])}")
        reasons = ", ".join(f"{name} {value:+.2f}" for name, value in item.reasons)
        typer.echo(f"    because: {reasons or '(no single feature stands out)'}")
        if item.first_pass_label != p.label:
            typer.echo(
                f"    its own features said {item.first_pass_label}; "
                f"the neighbouring paragraphs made it {p.label}"
            )


class _Stopped(BaseException):
    """SIGINT or SIGTERM arrived; raised where the main process was, so that cleanup runs.

    Not a ``KeyboardInterrupt``: click would catch that, print an empty line
    and re-raise it as ``Abort``.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame) -> None:
    raise _Stopped(signum)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main() -> None:
    """Console-script entry point: one-line errors for usage mistakes, interrupts and signals too.

    Ctrl-C (SIGINT) prints one line and exits 130, SIGTERM 143; a reader that
    goes away (``| head -1``) ends the run quietly with 0.
    """
    gc.disable()  # until start-up is over: see _started
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        code = app(standalone_mode=False, prog_name="triage")
    except click_errors.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(0)
    except click_errors.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "triage"
        _err(f"Error: {exc.format_message()} (see '{command} --help')")
        sys.exit(2)
    except click_errors.ClickException as exc:
        _err(f"Error: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _quiet_stdout()
        _err("Error: interrupted")
        sys.exit(130)
    except _Stopped as exc:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the exit
        _quiet_stdout()
        _err("Error: interrupted" if exc.signum == signal.SIGINT else "Error: terminated (SIGTERM)")
        sys.exit(128 + exc.signum)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)
