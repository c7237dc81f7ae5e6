"""Hostile inputs: no input may crash the CLI, hang it or lose data.

The battery of issue 14 as parametrised CLI cases. Each case asserts the exit
code, exactly one ``Error:`` line (or the expected output), no traceback, and
that the files it protects (an existing output, a device, a labels folder) are
unchanged. The cases that need a real process (signals, killed workers, a
broken pipe, a terminal) run ``python -m triage``; a hypothesis test feeds
random bytes, JSON Lines and HTML to ``classify``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from triage.cli.app import app

from conftest import REPO, resign

SEED = REPO / "seeds" / "000_ca1e9aa6cd9c9465.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LABELS = "000_ca1e9aa6cd9c9465"
STDERR_KINDS = ("Error: ", "Warning: ", "Note: ")


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def assert_no_traceback(result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}") from result.exception
    assert "Traceback" not in result.stderr


def assert_one_error(result, code: int = 1, contains: str = "") -> str:
    """Exactly one ``Error:`` line (notes aside) and the exit code; returns the line."""
    assert_no_traceback(result)
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert result.exit_code == code, result.stderr
    assert len(errors) == 1, result.stderr
    assert all(line.startswith(("Error: ", "Note: ")) for line in lines), result.stderr
    assert contains in errors[0], errors[0]
    return errors[0]


def snapshot(paths: list[Path]) -> list:
    """What a path is: its type, a link's target, a file's bytes, a folder's whole contents."""
    out = []
    for path in paths:
        if path.is_symlink():
            out.append(("link", os.readlink(path), snapshot([path.resolve()])))
        elif not path.exists():
            out.append(("missing", str(path)))
        elif path.is_dir():
            out.append(("dir", [(str(p.relative_to(path)), p.read_bytes() if p.is_file() else None)
                                for p in sorted(path.rglob("*"))]))
        elif path.is_file():
            out.append(("file", path.read_bytes()))
        else:
            out.append(("special", stat.S_IFMT(path.stat().st_mode)))
    return out


def corpus(path: Path, n: int = 3, text: str = "Gunmen attacked a bank in the city centre.") -> Path:
    path.write_text("".join(json.dumps({"id": f"doc{i}", "text": text}) + "\n" for i in range(n)), encoding="utf-8")
    return path


def device(path: Path, minor: int) -> Path:
    """A character device like /dev/null (minor 3) or /dev/full (7), or skip where none can be made."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except (PermissionError, OSError, AttributeError):
        pytest.skip("making a device node needs root")
    return path


# -- the battery -------------------------------------------------------------


@dataclass
class Case:
    """One hostile input: the command, what must come of it, the files it must not change."""

    args: list
    code: int = 1
    error: str | None = ""  # a part of the one Error line; None: the command succeeds
    check: Callable | None = None  # called with the result when the command succeeds
    keep: list[Path] = field(default_factory=list)
    input: bytes | None = None
    cleanup: Callable | None = None


CASES: dict[str, Callable] = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def sources(result) -> list[str]:
    return [json.loads(line)["source"] for line in result.stdout.splitlines()]


# output ---------------------------------------------------------------------


@case
def output_onto_a_device_writes_through(t, m, mp):
    dev = device(t / "nulldev", 3)
    return Case(["classify", SEED, "--model", m, "-o", dev], error=None, keep=[dev])


@case
def output_onto_a_full_device_is_one_error(t, m, mp):
    dev = device(t / "fulldev", 7)
    return Case(["classify", SEED, "--model", m, "-o", dev, "--format", "jsonl"], error="the disk is full", keep=[dev])


@case
def output_through_a_symlink_keeps_the_link(t, m, mp):
    real = t / "real.jsonl"
    real.write_text("old\n")
    link = t / "link.jsonl"
    link.symlink_to(real)

    def check(result):
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert len(real.read_text().splitlines()) == 22

    return Case(["classify", SEED, "--model", m, "-o", link], error=None, check=check)


@case
def failed_run_leaves_the_existing_output(t, m, mp):
    out = t / "p.jsonl"
    out.write_text("precious\n")
    return Case(["classify", t / "typo.txt", "--model", m, "-o", out], error="typo.txt: no such file", keep=[out])


@case
def strict_stop_leaves_the_existing_output(t, m, mp):
    path = corpus(t / "c.jsonl")
    with open(path, "a") as handle:
        handle.write("{oops\n")
    out = t / "p.jsonl"
    out.write_text("precious\n")
    return Case(["classify", path, "--model", m, "--strict", "-o", out], error=f"{out} was left as it was", keep=[out])


@case
def output_into_a_read_only_folder(t, m, mp):
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    mp.setattr(tempfile, "mkstemp", refuse)
    out = t / "p.jsonl"
    out.write_text("precious\n")
    return Case(["classify", SEED, "--model", m, "-o", out], error="the file system is read-only", keep=[out, t])


@case
def output_onto_a_folder(t, m, mp):
    folder = t / "out.jsonl"
    folder.mkdir()
    (folder / "keep").write_text("k")
    return Case(["classify", SEED, "--model", m, "-o", folder], error="is a folder; give a file name in it", keep=[folder])


@case
def output_on_a_full_disk(t, m, mp):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    mp.setattr(os, "fsync", full)
    out = t / "p.jsonl"
    out.write_text("precious\n")
    return Case(["classify", SEED, "--model", m, "-o", out], error="the disk is full", keep=[out, t])


@case
def stale_temporary_of_a_dead_writer_is_removed(t, m, mp):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = t / "p.jsonl"
    stale = t / f".p.jsonl.{dead.pid}.abcd1234.tmp"
    stale.write_text("half")
    live = t / f".p.jsonl.{os.getppid()}.abcd1234.tmp"  # a writer still running keeps its file
    live.write_text("being written")

    def check(result):
        assert not stale.exists() and live.exists() and out.is_file()
        live.unlink()

    return Case(["classify", SEED, "--model", m, "-o", out], error=None, check=check)


@case
def output_with_an_unknown_extension_is_not_jsonl(t, m, mp):
    return Case(["classify", SEED, "--model", m, "-o", t / "x.tsv"], code=2, error="cannot tell the format from '.tsv'",
                keep=[t / "x.tsv"])


@case
def output_in_a_missing_folder_is_not_created(t, m, mp):
    return Case(["classify", SEED, "--model", m, "-o", t / "nope" / "x.jsonl"], error="nope does not exist",
                keep=[t / "nope"])


# corpora --------------------------------------------------------------------


@case
def invalid_utf8_costs_its_jsonl_line_only(t, m, mp):
    lines = [json.dumps({"id": f"d{i}", "text": "Gunmen attacked a bank."}).encode() for i in range(3)]
    lines[1] = lines[1].replace(b"bank", b"b\xffnk")
    path = t / "c.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    def check(result):
        assert sources(result) == ["d0", "d2"]
        assert f"Warning: {path} line 2: not UTF-8 (byte 0xff at column 42); skipped" in result.stderr

    return Case(["classify", path, "--model", m, "--format", "jsonl"], error=None, check=check)


@case
def lone_surrogates_are_skipped_records(t, m, mp):
    path = t / "c.jsonl"
    path.write_text('{"id": "a", "text": "Gunmen \\ud800 attacked."}\n{"id": "b\\udfff", "text": "Police came."}\n'
                    '{"id": "c", "text": "Army came."}\n')

    def check(result):
        assert sources(result) == ["c"]
        assert result.stderr.splitlines()[-1] == "Note: 1 article, 1 paragraph, 0 dropped, 2 malformed records skipped"

    return Case(["classify", path, "--model", m, "--format", "jsonl"], error=None, check=check)


@case
def deeply_nested_json_is_a_skipped_record(t, m, mp):
    path = t / "c.jsonl"
    path.write_text('{"id": "a", "text": "x", "n": ' + "[" * 100000 + "]" * 100000 + "}\n"
                    + '{"id": "b", "text": "Police came.", "n": 1' + "0" * 5000 + "}\n"
                    + json.dumps({"id": "c", "text": "Police came."}) + "\n")

    def check(result):
        assert sources(result) == ["c"]
        assert f"{path} line 1: nested too deeply to read; skipped" in result.stderr
        assert f"{path} line 2: not valid JSON" in result.stderr

    return Case(["classify", path, "--model", m, "--format", "jsonl"], error=None, check=check)


@case
def unterminated_csv_quote_is_reported(t, m, mp):
    path = t / "c.csv"
    path.write_text('id,text\na,Gunmen attacked.\nb,"Police came.\nc,Army came.\n')
    return Case(["classify", path, "--model", m, "--format", "jsonl"],
                error=f"{path} line 3: a quoted field is not closed")


@case
def invalid_utf8_costs_its_csv_row_only(t, m, mp):
    path = t / "c.csv"
    path.write_bytes(b"id,text\na,Gunmen attacked.\nb,Police \xff came.\nc,Army came.\n")

    def check(result):
        assert sources(result) == ["a", "c"] and f"{path} line 3: not UTF-8; skipped" in result.stderr

    return Case(["classify", path, "--model", m, "--format", "jsonl"], error=None, check=check)


@case
def text_field_that_no_record_has(t, m, mp):
    path = corpus(t / "c.jsonl")
    return Case(["classify", path, "--model", m, "--text-field", "body"],
                error="no record has a 'body' field (the first has 'id', 'text'); set --text-field")


@case
def id_field_that_no_record_has(t, m, mp):
    path = corpus(t / "c.jsonl")
    return Case(["classify", path, "--model", m, "--id-field", "doc_id"], error="no record has a 'doc_id' field")


@case
def id_field_that_the_csv_has_not(t, m, mp):
    path = t / "c.csv"
    path.write_text("id,text\na,Gunmen attacked.\n")
    return Case(["classify", path, "--model", m, "--id-field", "doc_id"], error="no 'doc_id' column")


@case
def damaged_parquet_row_group(t, m, mp):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = t / "c.parquet"
    table = pa.table({"id": [f"d{i}" for i in range(200)], "text": [f"Gunmen attacked bank {i}." * 5 for i in range(200)]})
    pq.write_table(table, path, row_group_size=100, compression="snappy")
    column = pq.ParquetFile(path).metadata.row_group(1).column(1)
    start = column.dictionary_page_offset or column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start + 30:start + column.total_compressed_size - 30] = b"\xab" * (column.total_compressed_size - 60)
    path.write_bytes(bytes(data))
    return Case(["classify", path, "--model", m, "--format", "jsonl"], error="the file is damaged")


@case
def piped_jsonl_is_read_as_a_corpus(t, m, mp):
    def check(result):
        assert sources(result) == ["doc0", "doc1", "doc2"]
        assert "Note: standard input looks like jsonl" in result.stderr

    data = corpus(t / "c.jsonl").read_bytes()
    return Case(["classify", "-", "--model", m, "--format", "jsonl"], error=None, check=check, input=data)


# HTML -----------------------------------------------------------------------


def page(t: Path, body: str | bytes, head: bytes = b"") -> Path:
    path = t / "p.html"
    body = body.encode() if isinstance(body, str) else body
    path.write_bytes(b"<html><head>" + head + b"</head><body>" + body + b"</body></html>")
    return path


def text_out(*expected: str):
    def check(result):
        for line in expected:
            assert line in result.stdout.splitlines(), result.stdout

    return check


@case
def html_nested_300_deep_keeps_its_text(t, m, mp):
    path = page(t, "<div>" * 300 + "Gunmen attacked a bank." + "</div>" * 300 + "<p>Police came.</p>")
    return Case(["classify", path, "--model", m, "--format", "text"], error=None,
                check=text_out("Gunmen attacked a bank.", "Police came."))


@case
def html_nested_past_lxml_is_one_error(t, m, mp):
    path = page(t, "<div>" * 100000 + "Gunmen attacked a bank." + "</div>" * 100000)
    return Case(["classify", path, "--model", m, "--format", "text"], error="Excessive depth in document")


@case
def html_attribute_over_10_mb_keeps_the_page(t, m, mp):
    path = page(t, "<p title='" + "x" * (11 * 2**20) + "'>Gunmen attacked a bank.</p><p>Police came.</p>")
    return Case(["classify", path, "--model", m, "--format", "text"], error=None,
                check=text_out("Gunmen attacked a bank.", "Police came."))


@case
def html_meta_charset_idna(t, m, mp):
    path = page(t, "<p>Gunmen attacked a bank in the city centre on Tuesday.</p>", b'<meta charset="idna">')
    return Case(["classify", path, "--model", m, "--format", "text"], error=None,
                check=text_out("Gunmen attacked a bank in the city centre on Tuesday."))


@case
def html_meta_charset_utf16_on_ascii(t, m, mp):
    path = page(t, "<p>Gunmen attacked a bank.</p>", b'<meta charset="utf-16">')
    return Case(["classify", path, "--model", m, "--format", "text"], error=None, check=text_out("Gunmen attacked a bank."))


@case
def html_meta_charset_unknown_or_lying(t, m, mp):
    body = "<p>Un café a été attaqué à Zürich mardi matin.</p><p>La police a bouclé le quartier.</p>"
    path = page(t, body.encode("cp1252"), b'<meta charset="x-no-such">')
    return Case(["classify", path, "--model", m, "--format", "text"], error=None,
                check=text_out("Un café a été attaqué à Zürich mardi matin."))


# text -----------------------------------------------------------------------

JAPANESE = "東京都内の駅前で二十日午後、爆発があり、三人が負傷した。警察は周辺を封鎖し、男を逮捕した。"
CHINESE = "北京市中心二十日下午发生爆炸，造成三人受伤。警方已封锁现场并逮捕一名男子。"


def article(t: Path, data: bytes, name: str = "a.txt") -> Path:
    path = t / name
    path.write_bytes(data)
    return path


@case
def shift_jis_is_decoded(t, m, mp):
    path = article(t, (JAPANESE + "\n").encode("shift_jis"))
    return Case(["classify", path, "--model", m, "--format", "text"], error=None, check=text_out(JAPANESE))


@case
def gb18030_is_decoded(t, m, mp):
    path = article(t, (CHINESE + "\n").encode("gb18030"))
    return Case(["classify", path, "--model", m, "--format", "text"], error=None, check=text_out(CHINESE))


@case
def mixed_utf8_and_cp1252_is_refused(t, m, mp):
    path = article(t, "Café bombing in Zürich\n".encode() + "Le préfet a déclaré l’état d’urgence\n".encode("cp1252"))
    return Case(["classify", path, "--model", m, "--format", "text"], error="mixes UTF-8 with another encoding (line 2")


@case
def utf16_without_a_bom_is_text(t, m, mp):
    path = article(t, "Gunmen attacked a police post on Tuesday.\nThe army said it was searching.\n".encode("utf-16-le"))
    return Case(["classify", path, "--model", m, "--format", "text"], error=None,
                check=text_out("Gunmen attacked a police post on Tuesday."))


@case
def a_200_mb_file_is_refused_unread(t, m, mp):
    path = t / "big.txt"
    with open(path, "wb") as handle:  # sparse: no disk used
        handle.truncate(200 * 2**20)
    return Case(["classify", path, "--model", m, "--format", "text"], error="is 200.0 MB, more than an article can be")


@case
def a_line_of_2_mb_is_refused(t, m, mp):
    path = article(t, b"Gunmen attacked a bank " * (2**21 // 23) + b"\nPolice came.\n")
    return Case(["classify", path, "--model", m, "--format", "text"], error="line 1 is 2.0 M characters long")


@case
def dev_zero_is_refused_at_once(t, m, mp):
    return Case(["classify", "/dev/zero", "--model", m, "--format", "text"], error="/dev/zero: looks binary")


@case
def fifo_without_a_writer_does_not_block(t, m, mp):
    from triage import text

    mp.setattr(text, "FIFO_WAIT_SECONDS", 0.3)
    fifo = t / "fifo"
    os.mkfifo(fifo)
    return Case(["classify", fifo, "--model", m, "--format", "text"], error="a named pipe that nothing writes to")


@case
def fifo_with_a_writer_is_read(t, m, mp):
    fifo = t / "fifo.jsonl"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as handle:  # blocks until classify opens it
            time.sleep(0.2)
            handle.write(json.dumps({"id": "f1", "text": "Gunmen attacked a bank."}) + "\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()

    def check(result):
        writer.join(5)
        assert sources(result) == ["f1"]

    return Case(["classify", fifo, "--model", m, "--format", "jsonl"], error=None, check=check)


# terminal -------------------------------------------------------------------

EVIL = "Gunmen attacked \x1b]0;pwned\x07 a bank \x9b2J today.\nPolice \x1b[2J\x1b[H came.\n" + SEED_TEXT


def no_raw_escapes(result):
    for raw in ("\x1b]0;", "\x07", "\x1b[2J", "\x9b"):
        assert raw not in result.stdout
    assert "\\x1b]0;pwned\\x07" in result.stdout or "\\u001b]0;pwned\\u0007" in result.stdout


def on_terminal(mp) -> None:
    from triage import stream

    mp.setattr(stream, "_on_terminal", lambda handle: True)


@case
def text_output_escapes_controls_on_a_terminal(t, m, mp):
    on_terminal(mp)
    path = article(t, EVIL.encode())
    return Case(["classify", path, "--model", m, "--format", "text"], error=None, check=no_raw_escapes)


@case
def jsonl_output_escapes_c1_controls_on_a_terminal(t, m, mp):
    on_terminal(mp)
    path = article(t, EVIL.encode())

    def check(result):
        no_raw_escapes(result)
        assert all(json.loads(line) for line in result.stdout.splitlines())

    return Case(["classify", path, "--model", m, "--format", "jsonl"], error=None, check=check)


@case
def table_escapes_controls(t, m, mp):
    path = article(t, EVIL.encode())
    def check(result):
        for raw in ("\x1b]0;", "\x07", "\x9b"):
            assert raw not in result.stdout
        assert "\\x1b]0;pwned\\x07" in result.stdout

    return Case(["classify", path, "--model", m, "--format", "table"], error=None, check=check)


@case
def explain_escapes_controls(t, m, mp):
    path = article(t, EVIL.encode())
    return Case(["explain", path, "--model", m], error=None, check=no_raw_escapes)


# processes ------------------------------------------------------------------


@case
def jobs_are_capped(t, m, mp):
    from triage import stream

    mp.setattr(stream, "max_jobs", lambda: 2)
    path = corpus(t / "c.jsonl", 4)

    def check(result):
        assert "Note: --jobs 100000: this machine has 2 CPUs for triage; using 2 workers" in result.stderr
        assert len(sources(result)) == 4

    return Case(["classify", path, "--model", m, "--jobs", "100000", "--format", "jsonl"], error=None, check=check)


# labels ---------------------------------------------------------------------


def labels_folder(t: Path) -> Path:
    labels = t / "labels"
    labels.mkdir()
    shutil.copy(REPO / "seeds" / f"{SEED_LABELS}.txt", labels)
    shutil.copy(REPO / "labels" / f"{SEED_LABELS}.csv", labels)
    return labels


TASK = '{"text": "t", "article": "a", "index": 0}'
IMPORT_SHAPES = {
    "ls_data_text": ('[{"data": "text", "annotations": []}]', "'data' is text"),
    "ls_annotations_object": ('[{"data": %s, "annotations": {"result": []}}]' % TASK, "'annotations' is an object"),
    "ls_annotation_text": ('[{"data": %s, "annotations": ["x"]}]' % TASK, "an annotation is text"),
    "ls_result_text": ('[{"data": %s, "annotations": [{"result": "x"}]}]' % TASK, "'result' is text"),
    "ls_result_item_text": ('[{"data": %s, "annotations": [{"result": ["x"]}]}]' % TASK, "a result is text"),
    "ls_value_text": ('[{"data": %s, "annotations": [{"result": [{"value": "x"}]}]}]' % TASK, "'value' is text"),
    "ls_choices_text": ('[{"data": %s, "annotations": [{"result": [{"value": {"choices": "attack"}}]}]}]' % TASK,
                        "'choices' is text"),
    "ls_choices_number": ('[{"data": %s, "annotations": [{"result": [{"value": {"choices": 5}}]}]}]' % TASK,
                          "'choices' is a number"),
    "ls_one_object": ('{\n"tasks": [1, 2]\n}', "is one JSON object"),
    "ls_list_of_lists": ("[[1, 2]]", "expected a JSON object per paragraph, not a list"),
    "ls_broken": ('[{"data": ', "not valid JSON"),
    "doccano_label_number": ('{"text": "t", "label": 5, "article": "a", "index": 0}', "'label' is a number"),
    "doccano_label_nested": ('{"text": "t", "label": [["attack"]], "article": "a", "index": 0}', "a label is a list"),
    "doccano_label_object": ('{"text": "t", "label": {"x": 1}, "article": "a", "index": 0}', "'label' is an object"),
    "doccano_index_true": ('{"text": "t", "label": [], "article": "a", "index": true}', "needs 'article', 'index'"),
    "doccano_index_fraction": ('{"text": "t", "label": [], "article": "a", "index": 1.5}', "needs 'article', 'index'"),
    "doccano_index_negative": ('{"text": "t", "label": [], "article": "a", "index": -1}', "index -1 is negative"),
    "doccano_nul_in_name": ('{"text": "t", "label": [], "article": "a\\u0000b", "index": 0}', "not a plain file name"),
    "doccano_long_name": (json.dumps({"text": "t", "label": [], "article": "a" * 300, "index": 0}), "at most 200 bytes"),
    "doccano_surrogate": ('{"text": "t\\ud800", "label": ["attack"], "article": "new", "index": 0}', "lone surrogate"),
    "doccano_deep": ('{"text": "t", "label": ' + "[" * 100000 + "]" * 100000 + "}", "nested too deeply"),
    "doccano_huge_number": ('{"text": "t", "label": [], "article": "a", "index": 1' + "0" * 5000 + "}", "not valid JSON"),
    "doccano_not_utf8": (b'{"text": "t\xff", "label": [], "article": "a", "index": 0}', "cannot be read as UTF-8"),
    "doccano_empty": ("", "is empty"),
    "doccano_blank_lines": ("\n\n", "is empty"),
    "doccano_two_labels": ('{"text": "t", "label": ["attack", "boilerplate"], "article": "a", "index": 0}', "has 2 labels"),
    "doccano_unknown_label": ('{"text": "t", "label": ["atack"], "article": "a", "index": 0}', "unknown label 'atack'"),
}


def _import_case(content, message):
    def make(t, m, mp):
        labels = labels_folder(t)
        path = t / "review.json"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return Case(["labels", "import", path, "--labels", labels], error=message, keep=[labels])

    return make


for _name, (_content, _message) in IMPORT_SHAPES.items():
    CASES[f"labels_import_{_name}"] = _import_case(_content, _message)


def _export_review(t: Path, labels: Path) -> Path:
    """doccano records of every paragraph, with paragraph 0 relabelled and a new article added."""
    result = run("labels", "export", "--format", "doccano", "--labels", labels, "--no-predictions")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    records[0]["label"] = ["attack"]
    records += [{"text": f"Gunmen attacked bank {i}.", "label": ["attack"], "article": "zz_new", "index": i}
                for i in range(3)]
    path = t / "review.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@case
def labels_import_on_a_full_disk_is_all_or_nothing(t, m, mp):
    labels = labels_folder(t)
    review = _export_review(t, labels)
    real_fsync, calls = os.fsync, []

    def fills_up(fd):  # the first file fits, the second does not
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    mp.setattr(os, "fsync", fills_up)
    return Case(["labels", "import", review, "--labels", labels], error="nothing was imported", keep=[labels])


@case
def labels_import_goes_through_on_a_disk_with_space(t, m, mp):
    labels = labels_folder(t)
    review = _export_review(t, labels)

    def check(result):
        assert "Imported 2 articles" in result.stdout and "(1 new): 3 labels added, 1 changed" in result.stdout
        assert (labels / "zz_new.csv").is_file() and (labels / "zz_new.txt").is_file()

    return Case(["labels", "import", review, "--labels", labels], error=None, check=check)


@case
def labels_export_onto_a_folder(t, m, mp):
    labels = labels_folder(t)
    folder = t / "exported"
    folder.mkdir()
    return Case(["labels", "export", "--format", "doccano", "--labels", labels, "--no-predictions", "-o", folder],
                error="is a folder", keep=[folder])


# the remaining tracebacks -----------------------------------------------------


@case
def scheduler_that_is_not_an_address(t, m, mp):
    pytest.importorskip("dask.distributed")
    path = corpus(t / "c.jsonl")
    return Case(["classify", path, "--model", m, "--engine", "dask", "--scheduler", "notanaddress"], code=2,
                error="--scheduler notanaddress: not a Dask scheduler address")


def _tampered_model(t: Path, m: Path, change) -> Path:
    import joblib

    payload = joblib.load(m)
    change(payload)
    path = t / "tampered.joblib"
    joblib.dump(payload, path)
    return path


@case
def model_whose_metadata_is_not_a_mapping(t, m, mp):
    path = _tampered_model(t, m, lambda payload: payload.update(metadata=["not", "a", "mapping"]))
    # Data model files are refused by their shape and checksum before the metadata is read.
    return Case(["classify", SEED, "--model", path], error=f"{path}: not a readable model file")


@case
def model_whose_versions_are_not_a_mapping(t, m, mp):
    path = _tampered_model(t, m, lambda payload: payload["metadata"].update(versions="1.0"))
    return Case(["classify", SEED, "--model", path], error=f"{path}: the model's data does not match its SHA-256")


# HTML after the rewrite: the reader, the HTML stage, labelled pages, benchmarks (battery 2) ----------


def staged(m: Path, **change) -> Path:
    """The model ``m`` with an HTML stage of two regressions (made up, not fitted), edited by ``change``."""
    import numpy as np

    from triage.html import NEIGHBOUR_FEATURES, STRUCTURE_FEATURES, HtmlStage

    n = len(STRUCTURE_FEATURES)
    second = HtmlStage(np.zeros(n + 5), np.ones(n + 5), np.full(n + 5, 0.1), 0.0, 0.5,
                       STRUCTURE_FEATURES + NEIGHBOUR_FEATURES)
    data = HtmlStage(np.zeros(n), np.ones(n), np.full(n, 0.1), 0.0, 0.7, second=second).to_data()
    data.update({key: value(data) if callable(value) else value for key, value in change.items()})
    resign(m, lambda payload: payload["metadata"].update(html_stage=data))
    return m


def _short_page_case(blocks: int):
    def make(t, m, mp):
        texts = [f"Gunmen attacked bank number {i} in the city centre." for i in range(blocks)]
        path = page(t, "".join(f"<p>{text}</p>" for text in texts))
        return Case(["classify", path, "--model", staged(m), "--format", "text"], error=None, check=text_out(*texts))

    return make


for _blocks in (1, 4):  # the stage's five-block window once made five rows for these
    CASES[f"html_page_of_{_blocks}_blocks_with_the_html_stage"] = _short_page_case(_blocks)


@case
def html_of_only_comments_is_an_empty_page(t, m, mp):
    path = t / "p.html"
    path.write_text("<!-- nothing here --><!-- <p>nor here</p> -->")
    return Case(["classify", path, "--model", m, "--format", "text"], error=None,
                check=lambda result: "Note: " in result.stderr and "no paragraphs" in result.stderr)


def _wide_page_case(codec: str):
    def make(t, m, mp):
        text = "Gunmen attacked a bank in the city centre."
        path = t / "p.html"
        path.write_bytes(f"<html><body><p>{text}</p></body></html>".encode(codec))  # utf-16, utf-32: with a BOM
        return Case(["classify", path, "--model", m, "--format", "text"], error=None, check=text_out(text))

    return make


for _codec in ("utf-16", "utf-16-le", "utf-32"):  # with a BOM, and UTF-16 told by its NULs: once "looks binary"
    CASES[f"html_in_{_codec.replace('-', '')}"] = _wide_page_case(_codec)


@case
def a_page_of_more_blocks_than_a_page_can_have(t, m, mp):
    from triage import html

    mp.setattr(html, "MAX_PARAGRAPHS", 1000)
    path = page(t, "<p>Home</p>" * 1001)
    return Case(["classify", path, "--model", m, "--format", "text"], error="has more than 1,000 text blocks")


@case
def an_article_of_more_lines_than_an_article_can_have(t, m, mp):
    path = article(t, b"x\n" * 100_001)  # once 100,001 paragraphs classified at once; 3 million never ended
    return Case(["classify", path, "--model", m, "--format", "text"],
                error="has 100,001 lines of text, more than the 100,000 paragraphs an article can have")


@case
def a_record_of_too_many_lines_is_skipped(t, m, mp):
    from triage import text

    mp.setattr(text, "MAX_PARAGRAPHS", 10)
    path = t / "c.jsonl"
    records = [{"id": "long", "text": "x\n" * 11}, {"id": "ok", "text": "y"}]
    path.write_text("".join(json.dumps(record) + "\n" for record in records))

    def check(result):
        assert sources(result) == ["ok"] and f"{path} line 1: has 11 lines of text" in result.stderr

    return Case(["classify", path, "--model", m, "--format", "jsonl"], error=None, check=check)


def _stage_tampered(**change):
    def make(t, m, mp):
        path = page(t, "<p>Gunmen attacked a bank.</p>")
        return Case(["classify", path, "--model", staged(m, **change)], error=f"{m}: its HTML stage is malformed")

    return make


STAGE_TAMPERING = {
    # NaN scores written as NaN into JSON Lines, with overflow warnings on stderr
    "huge_coefficients": {"coef": lambda data: [1e308] * len(data["coef"])},
    "vanishing_scale": {"scale": lambda data: [1e-320] * len(data["scale"])},
    "integer_past_float": {"coef": lambda data: [10**400] * len(data["coef"])},  # once OverflowError
    # a drop threshold that keeps everything, or drops every boilerplate-topped block
    "threshold_above_one": {"threshold": 7.0},
    "threshold_below_zero": {"threshold": -1.0},
}
for _name, _change in STAGE_TAMPERING.items():
    CASES[f"model_html_stage_{_name}"] = _stage_tampered(**_change)


def _text_threshold_case(value, shown: str):
    def make(t, m, mp):
        resign(m, lambda payload: payload["metadata"].update(boilerplate_threshold=value))
        return Case(["classify", SEED, "--model", m, "--drop", "boilerplate"],
                    error=f"{m}: its boilerplate threshold {shown} is not a probability from 0 to 1")

    return make


for _name, (_value, _shown) in {"text": ("x", "'x'"), "negative": (-1.0, "-1.0"), "nan": (float("nan"), "nan")}.items():
    CASES[f"model_boilerplate_threshold_{_name}"] = _text_threshold_case(_value, _shown)


def html_benchmark(t: Path, pages: dict[str, bytes]) -> Path:
    """A content/boilerplate benchmark folder with ``html/<id>.html.gz`` holding the given bytes."""
    from test_aeb import write_benchmark

    root = write_benchmark(t / "bench", {page_id: [("content", "Gunmen attacked a bank.")] for page_id in pages})
    (root / "html").mkdir()
    for page_id, data in pages.items():
        (root / "html" / f"{page_id}.html.gz").write_bytes(data)
    return root


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=1)


GOOD_PAGE = _gzip(b"<html><body><p>Gunmen attacked a bank.</p></body></html>")


def _benchmark_case(data, error):
    def make(t, m, mp):
        root = html_benchmark(t, {"a1": GOOD_PAGE, "b2": data() if callable(data) else data})
        return Case(["evaluate", "--benchmark", root, "--html", "--model", staged(m), "--no-justext"], error=error)

    return make


BENCHMARK_PAGES = {
    # 33 MB of NULs in 33 kB: once inflated whole (a 4 GB one took 8 GB of memory)
    "gzip_bomb": (lambda: _gzip(b"\0" * (33 * 2**20)), "b2.html.gz: decompresses to more than 32 MB"),
    # damaged deflate data: once a zlib.error traceback
    "damaged_deflate": (GOOD_PAGE[:10] + b"\x07" + b"\0" * 16,  # a gzip header, then a block of the reserved type
                        "b2.html.gz: unreadable (Error -3 while decompressing data: invalid block type"),
}
for _name, (_data, _error) in BENCHMARK_PAGES.items():
    CASES[f"benchmark_html_{_name}"] = _benchmark_case(_data, _error)


@case
def benchmark_html_of_one_block_pages_and_an_empty_one(t, m, mp):
    pytest.importorskip("readability")  # it logged a traceback to stderr for the empty page
    root = html_benchmark(t, {"a1": GOOD_PAGE, "b2": _gzip(b"")})
    return Case(["evaluate", "--benchmark", root, "--html", "--model", staged(m), "--no-justext"], error=None)


def html_labels(t: Path, pages: dict[str, str]) -> Path:
    labels = labels_folder(t)
    (labels / "html").mkdir()
    for name, content in pages.items():
        (labels / "html" / name).write_text(content, encoding="utf-8")
    return labels


LABELLED = ('<html><body><nav data-label="boilerplate"><a href="/">Home</a> <a href="/w">World</a></nav>'
            '<article data-label="attack"><p>Gunmen attacked a bank in the city centre on Tuesday.</p>'
            '<p>Two guards were killed, witnesses said.</p></article></body></html>')


@case
def labelled_page_without_text_is_named_before_training(t, m, mp):
    labels = html_labels(t, {"a.html": LABELLED, "b.html": "<!-- to do -->"})
    return Case(["train", "--no-eval", "--labels", labels, "--model", t / "m.joblib"],
                error="html/b.html: has no text to label", keep=[t / "m.joblib"])


@case
def labelled_page_with_a_bad_label_stops_training_before_the_fit(t, m, mp):
    def fit(*args, **kwargs):
        raise AssertionError("the text model was fitted before the labelled pages were read")

    mp.setattr("triage.api.fit", fit)
    labels = html_labels(t, {"a.html": LABELLED, "b.html": LABELLED.replace('"attack"', '"atack"')})
    return Case(["train", "--no-eval", "--labels", labels, "--model", t / "m.joblib"],
                error="html/b.html: block 1 ('Gunmen attacked a bank in the city centr') has data-label 'atack'")


@case
def one_labelled_page_is_a_note_not_silence(t, m, mp):
    labels = html_labels(t, {"a.html": LABELLED})
    return Case(["train", "--no-eval", "--labels", labels, "--model", t / "m.joblib"], error=None,
                check=lambda result: f"Note: {labels / 'html'}: 1 labelled page; the HTML stage needs two or more"
                in result.stderr)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name, tmp_path, model_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    spec = CASES[name](work, model_path, monkeypatch)
    before = snapshot(spec.keep)
    result = run(*spec.args, input=spec.input)
    if spec.error is None:
        assert_no_traceback(result)
        assert result.exit_code == 0, result.stderr
        assert all(line.startswith(STDERR_KINDS) for line in result.stderr.splitlines()), result.stderr
        if spec.check is not None:
            assert spec.check(result) is not False
    else:
        assert_one_error(result, spec.code, spec.error)
    monkeypatch.undo()  # a patched os.fsync must not fool the snapshot
    assert snapshot(spec.keep) == before
    assert not [p for p in work.rglob("*.tmp")], "a temporary file was left behind"


# -- real processes ----------------------------------------------------------


def _triage(*args, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "triage", *map(str, args)], env=env, start_new_session=True, **kwargs)


@pytest.fixture
def long_corpus(tmp_path) -> Path:
    """Enough articles that a run is still going a few seconds after its start."""
    return corpus(tmp_path / "long.jsonl", 3000, SEED_TEXT)


def _wait_for_output(out: Path, timeout: float = 30) -> None:
    """Until the run has written to its temporary output file: the model is loaded, work started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.stat().st_size for p in out.parent.glob(f".{out.name}.*.tmp")):
            return
        time.sleep(0.05)
    raise AssertionError("the run never started writing")


def _workers(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
@pytest.mark.parametrize("signum, code, message", [
    (signal.SIGINT, 130, "Error: interrupted\n"),
    (signal.SIGTERM, 143, "Error: terminated (SIGTERM)\n"),
])
def test_a_signal_stops_the_run_in_one_line_and_leaves_the_output_alone(long_corpus, model_path, tmp_path, signum, code, message):
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    process = _triage("classify", long_corpus, "--model", model_path, "--jobs", "2", "-o", out,
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for_output(out)
    workers = _workers(process.pid)
    os.killpg(process.pid, signum)  # SIGINT as Ctrl-C sends it: to the whole process group
    _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (code, message)
    assert out.read_text() == "precious\n"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    time.sleep(0.5)
    assert not [w for w in workers if w.is_running() and w.status() != "zombie"]


def test_a_killed_worker_is_one_error_line(long_corpus, model_path, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    process = _triage("classify", long_corpus, "--model", model_path, "--jobs", "2", "--chunk-size", "4", "-o", out,
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for_output(out)
    _workers(process.pid)[0].kill()
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 1
    assert stderr.startswith("Error: a worker process (of --jobs 2) died before finishing its articles")
    assert stderr.endswith(f"; {out} was left as it was\n") and len(stderr.splitlines()) == 1, stderr
    assert out.read_text() == "precious\n"


class _Unrebuildable(Exception):
    """An exception whose class cannot be rebuilt from its pickled arguments."""

    def __init__(self, what, why):
        super().__init__(f"{what}: {why}")


def _fake_render(folder: Path, big: str = "", slow: dict | None = None, fail: str = ""):
    """A stand-in for ``stream.render`` in forked workers: it notes its process id by chunk."""

    def render(model, batch, options):
        (folder / batch[0]).write_text(str(os.getpid()))
        time.sleep((slow or {}).get(batch[0], 0))
        if batch[0] == fail:
            raise ValueError(f"bad chunk {fail}")
        if batch[0] == "lock":
            raise ValueError(threading.Lock())
        if batch[0] == "rebuild":
            raise _Unrebuildable("chunk", "broken")
        return b"x" * 50_000_000 if batch[0] == big else batch[0].encode()

    return render


def _next_within(chunks, seconds: float = 30):
    """``next(chunks)``, or fail the test if it has not returned in ``seconds``: a hang is a failure."""
    outcome: dict = {}

    def take():
        try:
            outcome["value"] = next(chunks)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers see the stand-in render")
def test_a_worker_killed_while_sending_its_result_is_an_error_not_a_hang(tmp_path, monkeypatch):
    import multiprocessing

    from triage import stream
    from triage.errors import WorkerError

    monkeypatch.setattr(stream, "render", _fake_render(tmp_path, big="b", slow={"b": 0.3}))
    chunks = stream.rendered_chunks(None, [["a"], ["b"], ["c"], ["d"]], None, jobs=2)
    assert _next_within(chunks) == (["a"], b"a")
    # The main process is away (chunk a is being written) while chunk b's worker, 0.3 s
    # later, starts sending 50 MB: it is part-way through when it is killed.
    while not (tmp_path / "b").exists():
        time.sleep(0.02)
    time.sleep(1.0)
    os.kill(int((tmp_path / "b").read_text()), signal.SIGKILL)
    with pytest.raises(WorkerError, match=r"a worker process \(of `jobs` 2\) died"):
        _next_within(chunks)
    assert not [child for child in multiprocessing.active_children() if child.name == "triage-worker"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers see the stand-in render")
def test_workers_give_results_in_input_order_and_a_chunk_error_as_itself(tmp_path, monkeypatch):
    from triage import stream

    names = [[str(i)] for i in range(9)]
    slow = {"0": 0.6, "3": 0.3, "4": 0.5}  # later chunks finish first
    monkeypatch.setattr(stream, "render", _fake_render(tmp_path, slow=slow))
    assert list(stream.rendered_chunks(None, names, None, jobs=3)) == [(n, n[0].encode()) for n in names]
    assert len({(tmp_path / n[0]).read_text() for n in names}) == 3  # three workers shared them

    monkeypatch.setattr(stream, "render", _fake_render(tmp_path, fail="5"))
    chunks = stream.rendered_chunks(None, names, None, jobs=2)
    assert [_next_within(chunks) for _ in range(5)] == [(n, n[0].encode()) for n in names[:5]]
    with pytest.raises(ValueError, match="bad chunk 5"):
        _next_within(chunks)
    # An exception that does not pickle, or cannot be rebuilt, still arrives as what it says.
    # (Whether the class rebuilds can depend on what else the process has imported: either
    # way the error names itself, never the pickling.)
    for name, message in (("lock", r"ValueError: <unlocked _thread.lock"), ("rebuild", "chunk: broken")):
        chunks = stream.rendered_chunks(None, [["0"], [name]], None, jobs=2)
        assert _next_within(chunks) == (["0"], b"0")
        with pytest.raises((RuntimeError, _Unrebuildable), match=message):
            _next_within(chunks)
    # No chunks at all, and fewer chunks than workers.
    assert list(stream.rendered_chunks(None, [], None, jobs=2)) == []
    assert list(stream.rendered_chunks(None, [["7"]], None, jobs=3)) == [(["7"], b"7")]


@pytest.mark.slow
def test_a_killed_main_process_takes_its_workers_and_its_temporary_file_goes_next_time(long_corpus, model_path, tmp_path):
    out = tmp_path / "out.jsonl"
    process = _triage("classify", long_corpus, "--model", model_path, "--jobs", "2", "-o", out,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_output(out)
    workers = _workers(process.pid)
    assert workers
    process.kill()
    process.wait()
    deadline = time.monotonic() + 5
    while [w for w in workers if w.is_running() and w.status() != "zombie"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if w.is_running() and w.status() != "zombie"], "orphaned workers"
    assert list(tmp_path.glob(".out.jsonl.*.tmp")), "SIGKILL leaves the temporary file: nothing can remove it then"
    result = run("classify", SEED, "--model", model_path, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert not list(tmp_path.glob(".out.jsonl.*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_pipe_ends_the_run_quietly(model_path, tmp_path, jobs):
    path = corpus(tmp_path / "c.jsonl", 300, SEED_TEXT)
    process = _triage("classify", path, "--model", model_path, "--format", "jsonl", "--jobs", jobs,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    stderr = process.stderr.read()
    process.wait(timeout=30)
    assert json.loads(first)["source"] == "doc0"
    assert (process.returncode, stderr) == (0, b"")


# -- labelling on a folder that cannot be written -----------------------------


def test_labelling_into_a_read_only_folder_is_one_error(tmp_path, monkeypatch):
    from triage.errors import OutputError
    from triage.labelling.session import LabelsLock

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    folder = tmp_path / "labels"
    folder.mkdir()
    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(OutputError, match=r"labels: cannot be written \(the file system is read-only\); make it writable"):
        with LabelsLock(folder):
            pass


def test_an_answer_that_cannot_be_saved_changes_no_file(tmp_path, monkeypatch):
    from triage.errors import OutputError
    from triage.labelling.session import Session, open_article

    labels = labels_folder(tmp_path)
    rows = (labels / f"{SEED_LABELS}.csv").read_text().splitlines()
    (labels / f"{SEED_LABELS}.csv").write_text("\n".join(rows[:-3]) + "\n")
    session = Session([open_article(labels / f"{SEED_LABELS}.txt", labels)], order="document")
    before = snapshot([labels])
    asked = session.current

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="the disk is full.*this answer is not saved, the earlier ones are"):
        session.answer("attack")
    monkeypatch.undo()
    assert snapshot([labels]) == before and not list(labels.glob(".*.tmp"))
    assert session.current == asked and asked[1] not in session.articles[0].labels


# -- real file systems: read-only and full (a tmpfs, where root can mount one) ----


@pytest.fixture
def small_fs(tmp_path):
    """A 256 kB tmpfs, unmounted afterwards; skipped where it cannot be mounted (not root)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def read_only(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)


def fill(mount: Path, leave: int = 0) -> None:
    """Fill the file system, then free ``leave`` bytes again."""
    fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        pass
    os.close(fd)
    if leave:
        os.truncate(mount / "filler", max(0, os.path.getsize(mount / "filler") - leave))


def test_output_on_a_real_full_disk(small_fs, model_path):
    out = small_fs / "p.jsonl"
    out.write_text("precious\n")
    fill(small_fs)
    result = run("classify", SEED, "--model", model_path, "-o", out)
    assert_one_error(result, contains=f"{out}: cannot be written (the disk is full)")
    assert out.read_text() == "precious\n" and not list(small_fs.glob(".*.tmp"))


def test_output_into_a_real_read_only_folder(small_fs, model_path):
    out = small_fs / "p.jsonl"
    out.write_text("precious\n")
    read_only(small_fs)
    result = run("classify", SEED, "--model", model_path, "-o", out)
    assert_one_error(result, contains=f"{out}: cannot be written (the file system is read-only); choose another --output")
    assert out.read_text() == "precious\n"


def test_labels_import_on_a_real_full_disk_changes_nothing(small_fs, tmp_path):
    labels = labels_folder(tmp_path)
    for name in (f"{SEED_LABELS}.txt", f"{SEED_LABELS}.csv"):
        shutil.copy(labels / name, small_fs)
    review = _export_review(tmp_path, small_fs)
    with open(review, "a") as handle:  # a new article too big for what is left
        for i in range(3, 300):
            handle.write(json.dumps({"text": "Gunmen attacked a bank. " * 40 + str(i), "label": ["attack"],
                                     "article": "zz_new", "index": i}) + "\n")
    fill(small_fs, leave=100 * 1024)
    before = snapshot([small_fs])
    result = run("labels", "import", review, "--labels", small_fs)
    assert_one_error(result, contains="the disk is full); make it writable or free space; nothing was imported")
    assert snapshot([small_fs]) == before


def _label_in_terminal(folder: Path, article_path: Path, model_path: Path, keys: str = ""):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), TERM="xterm")
    child = pexpect.spawn(sys.executable, ["-m", "triage", "label", str(article_path), "--labels", str(folder),
                                           "--model", str(model_path), "--retrain-every", "0", "--order", "document"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(50, 160))
    for key in keys:
        child.expect("q quit")
        child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    # The screen is the terminal's alternate screen: what it drew, and the escape that
    # gives the normal screen back, share the byte stream with the error line.
    shown = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line).strip() for line in child.before.splitlines()]
    errors = [line for line in shown if "Error:" in line or "Traceback" in line]
    return child.exitstatus, errors


def test_triage_label_on_a_read_only_folder_is_one_error(small_fs, tmp_path, model_path):
    article_path = tmp_path / "a.txt"
    article_path.write_text("Gunmen attacked a bank.\nPolice came.\n")
    read_only(small_fs)
    code, errors = _label_in_terminal(small_fs, article_path, model_path)
    assert code == 1
    assert errors == [
        f"Error: {small_fs}: cannot be written (the file system is read-only); make it writable or give another "
        "--labels folder; nothing was labelled"
    ]


def test_triage_label_on_a_full_folder_is_one_error_and_loses_no_answer(small_fs, tmp_path, model_path):
    labels = labels_folder(tmp_path)
    rows = (labels / f"{SEED_LABELS}.csv").read_text().splitlines()
    shutil.copy(labels / f"{SEED_LABELS}.txt", small_fs)
    (small_fs / f"{SEED_LABELS}.csv").write_text("\n".join(rows[:-3]) + "\n")
    fill(small_fs)
    before = snapshot([small_fs / f"{SEED_LABELS}.csv", small_fs / f"{SEED_LABELS}.txt"])
    code, errors = _label_in_terminal(small_fs, small_fs / f"{SEED_LABELS}.txt", model_path, keys="1")
    assert code == 1
    assert len(errors) == 1 and errors[0].strip().startswith(
        f"Error: {small_fs / SEED_LABELS}.csv: cannot be written (the disk is full)"
    ), errors
    assert snapshot([small_fs / f"{SEED_LABELS}.csv", small_fs / f"{SEED_LABELS}.txt"]) == before


# -- random input --------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
JSONL_LINES = st.one_of(
    st.fixed_dictionaries({"id": JSON_VALUES, "text": st.text(max_size=200)}),
    st.dictionaries(st.sampled_from(["id", "text", "body", ""]), JSON_VALUES, max_size=3),
    JSON_VALUES,
).map(lambda value: json.dumps(value).encode()) | st.binary(max_size=80)
TAGS = ["p", "div", "span", "b", "br", "li", "ul", "table", "td", "script", "style", "title", "meta", "html", "body", "!--"]
HTML_PARTS = st.one_of(
    st.sampled_from(TAGS).map(lambda tag: f"<{tag}>"),
    st.sampled_from(TAGS).map(lambda tag: f"</{tag}>"),
    st.sampled_from(['<meta charset="utf-16">', '<meta charset="idna">', '<meta charset="koi8-r">', "&amp;", "&#0;",
                     "<![CDATA[", "<?xml version='1.0'?>", "<p title='x"]),
    st.text(max_size=30),
)
RANDOM_INPUTS = st.one_of(
    st.tuples(st.just("a.txt"), st.binary(max_size=600)),
    st.tuples(st.just("a.txt"), st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass"))),
    st.tuples(st.just("c.jsonl"), st.lists(JSONL_LINES, max_size=8).map(b"\n".join)),
    st.tuples(st.just("p.html"), st.lists(HTML_PARTS, max_size=30).map(lambda parts: "".join(parts).encode())),
    st.tuples(st.just("p.html"), st.binary(max_size=300)),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(RANDOM_INPUTS)
def test_random_input_never_crashes_or_clobbers_the_output(tmp_path, model_path, named_data):
    name, data = named_data
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    result = run("classify", path, "--model", model_path, "-o", out)
    assert_no_traceback(result)
    assert all(line.startswith(STDERR_KINDS) for line in result.stderr.splitlines()), result.stderr
    if result.exit_code == 0:
        assert all(set(json.loads(line)) >= {"source", "label", "text"} for line in out.read_text().splitlines())
    else:
        assert_one_error(result)
        assert out.read_text() == "precious\n"
    assert not list(tmp_path.glob(".*.tmp"))


# -- HTML: what the cases above cannot show -------------------------------------


def test_pages_of_fewer_than_five_blocks_train_the_html_stage(trained_model_path, tmp_path):
    from triage.html import read_labelled_page, train_stage
    from triage.persist import load_model_file

    pages = []
    for number, body in enumerate([LABELLED, '<html><body><p data-label="attack">Shots were fired.</p></body></html>',
                                   LABELLED.replace("Tuesday", "Friday")]):
        path = tmp_path / f"p{number}.html"
        path.write_text(body, encoding="utf-8")
        pages.append(read_labelled_page(path))
    fitted = train_stage(load_model_file(trained_model_path), pages, folds=3)
    assert fitted.figures["blocks"] == 7 and len(fitted.out_of_fold) == 7


def test_short_blocks_under_a_huge_json_ld_body_are_read_in_seconds():
    from triage.html import STRUCTURE_FEATURES, read_page

    body = "Gunmen attacked a bank in the city centre. " * 100_000  # 4.3 MB
    links = "".join(f"<p><a href='/{i}'>Section {i % 50}</a></p>" for i in range(10_000))
    raw = (f'<html><head><script type="application/ld+json">{json.dumps({"articleBody": body})}</script></head>'
           f"<body>{links}<p>Gunmen attacked a bank in the city centre.</p></body></html>").encode()
    started = time.monotonic()
    page = read_page(raw)
    assert time.monotonic() - started < 10  # each short block searched the whole body: about 25 s
    in_body = page.layout[:, STRUCTURE_FEATURES.index("in_ld_body")]
    assert in_body[-1] == 1.0 and not in_body[:-1].any()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abcx", min_size=1, max_size=4), max_size=12), st.lists(st.text("abcx", min_size=1, max_size=4),
                                                                                 min_size=1, max_size=2))
def test_short_blocks_are_matched_in_the_json_ld_body_as_a_substring_test_matches_them(body_words, block_words):
    from triage.html import _ShortMatch

    body, block = " ".join(body_words), " ".join(block_words)
    assert _ShortMatch(body)(block) == (block in body)


def test_a_failed_run_into_parquet_leaves_no_traceback(model_path, tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "out.parquet"
    out.write_bytes(b"precious")
    process = _triage("classify", SEED, tmp_path / "typo.txt", "--model", model_path, "-o", out,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    # the Parquet writer once closed itself at exit onto the discarded file: "Exception ignored ... Traceback"
    assert stderr.splitlines() == [f"Error: {tmp_path / 'typo.txt'}: no such file; check the path",
                                   "Note: 1 article, 22 paragraphs, 0 dropped, 0 malformed records skipped, 1 input failed",
                                   f"Note: {out} was left as it was, since an input failed"]
    assert out.read_bytes() == b"precious"
