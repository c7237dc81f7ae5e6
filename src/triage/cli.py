"""The ``triage`` command: parse options, call the library, render, map errors to exit codes.

scikit-learn, joblib and pandas are imported inside the commands that need them,
so ``triage --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

try:  # typer 0.2x ships its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # older typer runs on click itself
    from click import exceptions as click_errors

from triage import __version__, config
from triage.errors import InputError, TriageError, UsageError

if TYPE_CHECKING:
    from triage.model import ClassifiedParagraph

app = typer.Typer(
    name="triage",
    help="Label the paragraphs of incident reports: attack, state_response, social_context, boilerplate.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

LABEL_STYLES = {
    "attack": "bold red",
    "state_response": "bold blue",
    "social_context": "green",
    "boilerplate": "dim",
    config.UNCERTAIN: "yellow",
}


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _note(message: str) -> None:
    _err(f"Note: {message}")


def _user_errors(command):
    """Turn a :class:`TriageError` into ``Error: ...`` on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TriageError as exc:
            _err(f"Error: {exc}")
            raise typer.Exit(exc.exit_code) from None

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
    labels: Optional[Path] = typer.Option(
        None, "--labels", help="Folder of label files. [default: the project's labels/]"
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", help="Where to write the model. [default: models/triage.joblib]"
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
    from triage.report import format_evaluation

    model_path = model or config.default_model_path()
    with _progress("cross-validating (articles)") as progress:
        fitted, evaluation = train_model(labels, evaluate=not no_eval, progress=progress)
    if evaluation is not None:
        typer.echo(format_evaluation(evaluation.as_dict(), title="Leave-one-article-out cross-validation"))
        typer.echo("")
    counts = ", ".join(f"{k} {v}" for k, v in fitted.metadata["label_counts"].items())
    typer.echo(f"Trained on {fitted.metadata['n_articles']} articles: {counts}")
    save_model(fitted, model_path)
    typer.echo(f"Saved {model_path}")


class OutputFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"
    text = "text"


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


def _inputs(paths: list[str]) -> Iterator[str]:
    """Expand the command's paths: ``-`` for stdin, a folder to its ``*.txt`` files."""
    for given in paths:
        if given == "-":
            yield given
            continue
        path = Path(given)
        if path.is_dir():
            files = sorted(path.glob("*.txt"))
            if not files:
                raise InputError(f"{given}: folder has no .txt files; give article files or another folder")
            yield from (str(f) for f in files)
        else:
            yield given


def _read(source: str) -> str:
    from triage.text import decode_bytes, read_text

    if source == "-":
        return decode_bytes(sys.stdin.buffer.read(), source="<stdin>")
    return read_text(source)


class _Writer:
    """Render classified paragraphs in one of the output formats, file after file."""

    def __init__(self, fmt: OutputFormat, labels: list[str], many_sources: bool):
        self.fmt = fmt
        self.labels = labels
        self.many_sources = many_sources
        self.out = sys.stdout
        self.csv = None
        self.table_rows: list[tuple[str, ClassifiedParagraph]] = []

    def write(self, source: str, paragraphs: list[ClassifiedParagraph]) -> None:
        if self.fmt is OutputFormat.text:
            for p in paragraphs:
                self.out.write(p.text + "\n")
        elif self.fmt is OutputFormat.jsonl:
            for p in paragraphs:
                record = {
                    "source": source,
                    "index": p.index,
                    "start": p.start,
                    "end": p.end,
                    "label": p.label,
                    "score": round(p.score, 6),
                    "scores": {k: round(v, 6) for k, v in p.scores.items()},
                    "text": p.text,
                }
                self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.fmt is OutputFormat.csv:
            if self.csv is None:
                self.csv = csv.writer(self.out, lineterminator="\n")
                self.csv.writerow(
                    ["source", "index", "start", "end", "label", "score"]
                    + [f"score_{label}" for label in self.labels]
                    + ["text"]
                )
            for p in paragraphs:
                self.csv.writerow(
                    [source, p.index, p.start, p.end, p.label, f"{p.score:.6f}"]
                    + [f"{p.scores.get(label, 0.0):.6f}" for label in self.labels]
                    + [p.text]
                )
        else:
            self.table_rows.extend((source, p) for p in paragraphs)
        self.out.flush()

    def close(self) -> None:
        if self.fmt is not OutputFormat.table or not self.table_rows:
            return
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=True, header_style="bold", expand=True, box=None)
        if self.many_sources:
            table.add_column("source", overflow="fold", max_width=24)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("label", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("text", overflow="ellipsis", no_wrap=True, ratio=1)
        for source, p in self.table_rows:
            style = LABEL_STYLES.get(p.label, "")
            cells = [str(p.index), Text(p.label, style=style), f"{p.score:.2f}", Text(p.text, style="dim" if p.label == "boilerplate" else "")]
            table.add_row(*([Path(source).name] if self.many_sources else []), *cells)
        Console().print(table)


def _dropped(model, paragraph: ClassifiedParagraph, drop: set[str]) -> bool:
    """``--drop``: boilerplate by the model's threshold, other labels by name."""
    if "boilerplate" in drop and model.drops(paragraph):
        return True
    return paragraph.label in drop - {"boilerplate"}


@app.command()
@_user_errors
def classify(
    paths: list[str] = typer.Argument(
        ..., help="Article files (.txt), folders of them, or - for standard input."
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", help="Model file. [default: models/triage.joblib, built from labels/ if absent]"
    ),
    output_format: Optional[OutputFormat] = typer.Option(
        None, "--format", help="table, jsonl, csv or text. [default: table on a terminal, else jsonl]"
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
    force: bool = typer.Option(
        False, "--force", help="Load a model saved by another scikit-learn version anyway."
    ),
) -> None:
    """Label every paragraph of the given articles with a type and a score.

    --drop boilerplate drops a paragraph when its boilerplate score is the
    highest and reaches the model's drop threshold (chosen in training to keep
    98% of story paragraphs), whatever --min-score made of its label.

    Example: triage classify --drop boilerplate --format text report.txt > clean.txt
    """
    drop_set = _label_set(drop, "--drop")
    keep_set = _label_set(keep, "--keep")
    if drop_set is not None and keep_set is not None:
        raise UsageError("--drop and --keep: give one of them, not both")
    fmt = output_format or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl)
    sources = list(_inputs(paths))

    from triage.api import load_model
    from triage.text import split_paragraphs

    fitted = load_model(model, force=force, note=_note)
    writer = _Writer(fmt, list(config.LABELS), many_sources=len(sources) > 1)
    failed = 0
    for source in sources:
        try:
            text = _read(source)
        except InputError as exc:
            _err(f"Error: {exc}")
            failed += 1
            continue
        paragraphs = split_paragraphs(text)
        if not paragraphs:
            _note(f"{source}: no paragraphs (the article is empty or blank)")
        results = fitted.classify_paragraphs(paragraphs, min_score=min_score)
        if keep_set is not None:
            results = [p for p in results if p.label in keep_set]
        if drop_set is not None:
            results = [p for p in results if not _dropped(fitted, p, drop_set)]
        writer.write(source, results)
    writer.close()
    if failed:
        raise typer.Exit(1)


class Order(str, Enum):
    uncertainty = "uncertainty"
    document = "document"


@app.command()
@_user_errors
def label(
    paths: list[str] = typer.Argument(..., help="Article files (.txt) or folders of them."),
    labels: Optional[Path] = typer.Option(
        None, "--labels", help="Folder to save labels in. [default: the project's labels/]"
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", help="Model for the suggestions. [default: models/triage.joblib]"
    ),
    order: Order = typer.Option(
        Order.uncertainty,
        "--order",
        help="uncertainty: least sure paragraphs first, across articles; document: reading order.",
    ),
    retrain_every: int = typer.Option(
        25,
        "--retrain-every",
        min=0,
        help="Refit the model on the labels in the background every N answers (0: never).",
    ),
) -> None:
    """Label articles paragraph by paragraph in the terminal, with the model's suggestions.

    Keys: 1-4 or a/s/c/b choose attack, state_response, social_context, boilerplate;
    Enter accepts the suggestion; u undoes; k skips; ? shows the definitions; q quits.
    Every answer is saved at once; run the same command again to resume.

    Example: triage label new_reports/
    """
    if not sys.stdin.isatty():
        raise UsageError(
            "triage label: standard input is not a terminal; run it in an interactive "
            "terminal (to label in bulk, edit the CSV files or use 'triage labels import')"
        )
    from rich.console import Console

    from triage import label_ui
    from triage.api import load_model
    from triage.api import train as train_model
    from triage.labelling import LabelsLock, Session, article_paths, open_article

    labels_dir = labels or config.labels_dir()
    files = article_paths(paths)
    console = Console(highlight=False)
    with LabelsLock(labels_dir):
        articles = [open_article(path, labels_dir) for path in files]
        session = Session(articles, order=order.value)
        if session.current is None:
            _note(f"every paragraph of the {len(articles)} given article(s) is labelled already")
            return
        fitted = load_model(model, note=_note)
        session.suggest_with(fitted)

        def refit():
            return train_model(labels_dir, evaluate=False)[0]

        retrainer = label_ui.Retrainer(refit) if retrain_every else None
        ended = label_ui.run(
            session,
            getchar=label_ui.read_key,
            console=console,
            retrainer=retrainer,
            retrain_every=retrain_every,
        )
        typer.echo(session.summary(label_ui.labelled_total(labels_dir)))
    if ended == "interrupted":
        raise typer.Exit(130)


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


labels_app = typer.Typer(
    help="Check, count, export and import label files.\n\nExample: triage labels check",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(labels_app, name="labels")

LABELS_OPTION = typer.Option(None, "--labels", help="Folder of label files. [default: the project's labels/]")


@labels_app.command("check")
@_user_errors
def labels_check(
    labels: Optional[Path] = LABELS_OPTION,
    no_model: bool = typer.Option(
        False, "--no-model", help="Skip the search for likely mislabels (it cross-validates a model)."
    ),
    folds: int = typer.Option(10, "--folds", min=2, help="Grouped folds for the mislabel search."),
) -> None:
    """Validate every label file, find conflicting labels and likely mislabels.

    Errors (broken files, identical texts with different labels) exit with 1;
    warnings (likely mislabels: a low out-of-fold probability for the paragraph's
    own label, confident learning) leave the exit code at 0.

    Example: triage labels check
    """
    from triage.label_tools import check_labels

    labels_dir = labels or config.labels_dir()
    with _progress("checking labels") as _:
        report = check_labels(labels_dir, mislabels=not no_model, folds=folds)
    for line in report.errors:
        typer.echo(f"error: {line}")
    for line in report.warnings:
        typer.echo(f"warning: {line}")
    n = sum(len(a.labels) for a in report.articles)
    typer.echo(
        f"{labels_dir}: {len(report.articles)} articles, {n} labelled paragraphs; "
        f"{len(report.errors)} errors, {len(report.warnings)} warnings"
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
    from triage.label_tools import label_stats
    from triage.labels import load_labels

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
    model: Optional[Path] = typer.Option(
        None, "--model", help="Model for the pre-filled predictions. [default: models/triage.joblib]"
    ),
    no_predictions: bool = typer.Option(False, "--no-predictions", help="Leave the predictions out."),
) -> None:
    """Export every paragraph with its label (and the model's prediction) for doccano or Label Studio.

    Example: triage labels export --format labelstudio -o review.json
    """
    from triage.api import load_model
    from triage.label_tools import export_records, write_export
    from triage.labels import load_labels

    labels_dir = labels or config.labels_dir()
    articles = load_labels(labels_dir)
    fitted = None if no_predictions else load_model(model, note=_note)
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
    from triage.label_tools import import_labels

    if not path.is_file():
        raise InputError(f"{path}: no such file; give a doccano .jsonl or Label Studio .json export")
    labels_dir = labels or config.labels_dir()
    result = import_labels(path, labels_dir)
    typer.echo(
        f"Imported {result.articles} articles into {labels_dir} ({result.new_articles} new): "
        f"{result.added} labels added, {result.changed} changed, {result.removed} removed"
    )




@app.command()
@_user_errors
def evaluate(
    labels: Optional[Path] = typer.Option(
        None, "--labels", help="Folder of label files. [default: the project's labels/]"
    ),
    benchmark: Optional[Path] = typer.Option(
        None,
        "--benchmark",
        help="Score the boilerplate filter on this AEB folder (e.g. ../shared/benchmarks/aeb) "
        "instead of cross-validating.",
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", help="Model for --benchmark. [default: models/triage.joblib]"
    ),
    output_format: ReportFormat = typer.Option(
        ReportFormat.text, "--format", help="text for people, json for scripts."
    ),
    plot: Optional[Path] = typer.Option(
        None, "--plot", help="Also draw the cross-validation confusion matrix to this PNG file."
    ),
    no_justext: bool = typer.Option(False, "--no-justext", help="Leave out the jusText baseline."),
    force: bool = typer.Option(
        False, "--force", help="Load a model saved by another scikit-learn version anyway."
    ),
) -> None:
    """Measure the model: leave-one-article-out figures beside baselines, or the AEB benchmark.

    Example: triage evaluate --plot confusion.png

    Example: triage evaluate --benchmark ../shared/benchmarks/aeb
    """
    from triage import evaluate as ev
    from triage import report

    if benchmark is not None:
        if plot is not None:
            raise UsageError("--plot: draws the cross-validation confusion matrix; leave out --benchmark")
        from triage.api import load_model

        fitted = load_model(model, force=force, note=_note)
        result = ev.evaluate_benchmark(fitted, benchmark, with_justext=not no_justext)
        text = report.format_benchmark(result)
    else:
        if model is not None:
            raise UsageError("--model: cross-validation trains its own models; use it with --benchmark")
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


@app.command()
@_user_errors
def explain(
    paths: Optional[list[str]] = typer.Argument(
        None, help="Article files, folders or - to explain; none: the model's strongest features."
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", help="Model file. [default: models/triage.joblib]"
    ),
    top: Optional[int] = typer.Option(
        None, "--top", min=1, help="Features to show. [default: 20 per class, 5 per paragraph]"
    ),
    force: bool = typer.Option(
        False, "--force", help="Load a model saved by another scikit-learn version anyway."
    ),
) -> None:
    """Show which features push the model toward each label, per class or per paragraph.

    Without paths: the strongest features of each class, to audit what the model
    learned (names and numbers are masked as "xname" and "0"). With paths: each
    paragraph's label and the features that pushed it there.

    Example: triage explain --top 20

    Example: triage explain report.txt
    """
    from triage.api import load_model
    from triage.explain import explain_paragraphs, top_features
    from triage.text import split_paragraphs

    fitted = load_model(model, force=force, note=_note)
    if not paths:
        for label, features in top_features(fitted, top or 20).items():
            typer.echo(f"{label}:")
            for name, weight in features:
                typer.echo(f"  {weight:+7.3f}  {name}")
        return
    failed = 0
    for source in _inputs(paths):
        try:
            text = _read(source)
        except InputError as exc:
            _err(f"Error: {exc}")
            failed += 1
            continue
        typer.echo(f"== {source}")
        for item in explain_paragraphs(fitted, split_paragraphs(text), top or 5):
            p = item.paragraph
            typer.echo(f"#{p.index} {p.label} {p.score:.2f}  {p.text[:90]}")
            reasons = ", ".join(f"{name} {value:+.2f}" for name, value in item.reasons)
            typer.echo(f"    because: {reasons or '(no single feature stands out)'}")
            if item.first_pass_label != p.label:
                typer.echo(
                    f"    its own features said {item.first_pass_label}; the neighbouring paragraphs made it {p.label}"
                )
    if failed:
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point: one-line errors for usage mistakes too."""
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
        _err("Error: interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)
