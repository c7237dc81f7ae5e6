"""What the command line draws for people: the classify table, and the one colour per label."""

from __future__ import annotations

from pathlib import Path

from triage.text import escape_controls

LABEL_STYLES = {
    "attack": "bold red",
    "state_response": "bold blue",
    "social_context": "green",
    "boilerplate": "magenta",
    "uncertain": "yellow",
    "unsure": "yellow",
}
"""The colour of each label wherever the command line shows one (table, labelling screen)."""


def draw_table(rows, many_sources: bool, stream=None) -> None:
    """The classify table: source (with several), paragraph number, label, score and text, one line each."""
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
        cells = [
            str(p.index),
            Text(p.label, style=LABEL_STYLES.get(p.label, "")),
            f"{p.score:.2f}",
            Text(escape_controls(p.text), style="dim" if p.label == "boilerplate" else ""),
        ]
        table.add_row(*([escape_controls(Path(source).name)] if many_sources else []), *cells)
    Console(file=stream).print(table)
