"""Reading bytes into text and splitting text into paragraphs with offsets.

Two layouts of plain text are told apart:

* one paragraph per line (what scrapers and the seed articles produce): every
  non-blank line is a paragraph, blank lines or not;
* hard-wrapped prose, where paragraphs are separated by blank lines and long
  paragraphs are broken over several lines at a fixed width: the lines of one
  paragraph are joined again.

A line break inside a block of non-blank lines is taken as a wrap only when the
line was full: the next line's first word would not have fitted on it. A short
line (a heading, a menu item, a dateline) therefore still stands alone.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from triage.errors import InputError

# Characters that print as nothing: a line made only of these and whitespace is blank.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_WRAP_WIDTH_MAX = 100  # hard-wrapped text is wrapped at or below this width...
_WRAP_WIDTH_MIN = 40  # ...and above this one; a text of short lines is a list of lines
_LONG_LINE_SHARE = 0.05  # more long lines than this: one paragraph per line


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an article.

    ``text`` is ``source[start:end]`` with runs of whitespace (line breaks and
    no-break spaces included) folded to single spaces.
    """

    index: int
    start: int
    end: int
    text: str


def normalise_space(text: str) -> str:
    """Fold every run of whitespace to one space and trim both ends."""
    return " ".join(text.split())


def _is_blank(line: str) -> bool:
    return not line.strip().strip(_INVISIBLE).strip()


MAX_INPUT_BYTES = 32 * 2**20
"""An article file, page or corpus record larger than this is refused, so memory stays bounded."""
MAX_LINE_CHARS = 2**20
"""A line longer than this is no paragraph (classifying it would take minutes and gigabytes)."""
MAX_PARAGRAPHS = 100_000
"""An article or page with more paragraphs is refused: no real one has 3,000 (the benchmarks' most is
2,278), and classifying 300,000 at once takes half a minute and 1.5 GB, three million hours and 7 GB."""
FIFO_WAIT_SECONDS = 5.0
"""How long a named pipe may have no writer before reading it is given up."""

# Multi-byte encodings without a BOM are told apart by :func:`_utf16_without_bom`; guessing
# them from a few bytes turns short Latin text into Chinese.
_NOT_GUESSED = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "utf_7"]
# When charset-normalizer finds several encodings that read the bytes equally well (same
# chaos, same coherence), cp1252, the most common legacy encoding, is taken: cp1250 and
# cp1252 agree on most letters but not on à, è, ñ, and the tie otherwise goes to cp1250.
_PREFERRED_ON_A_TIE = "cp1252"


_C0_BUT_SPACE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _utf16_without_bom(data: bytes, *, final: bool = True) -> str | None:
    """The text of UTF-16 without a byte-order mark, told by where its NUL bytes fall; else None.

    With ``final`` False, ``data`` is the start of a longer stream and may end
    inside a character.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    half = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd >= 0.3 * half and even <= 0.02 * odd:
        codec = "utf-16-le"
    elif even >= 0.3 * half and odd <= 0.02 * even:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(codec)().decode(data, final=final)
    except UnicodeDecodeError:
        return None
    return None if _C0_BUT_SPACE.search(text) else text


def _binary_reason(data: bytes) -> str | None:
    """Why bytes that are not UTF-16 and have no BOM look binary, or None."""
    if b"\x00" in data:
        return "it has NUL bytes"
    controls = sum(data.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if controls > max(2, len(data) // 100):
        return f"{controls} control characters"
    return None


def _mixed_line(data: bytes) -> int | None:
    """The first line that is not UTF-8 in bytes whose other lines are UTF-8 with non-ASCII letters."""
    utf8 = other = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other = other or number
        else:
            utf8 = utf8 or number
        if utf8 and other:
            return other
    return None


def _guess_legacy(data: bytes) -> str | None:
    """Decode bytes that are not UTF-8 in the encoding charset-normalizer finds, or None."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_exclusion=_NOT_GUESSED)
    best = matches.best()
    if best is None:
        return None
    tied = [m for m in matches if m.chaos <= best.chaos + 1e-6 and m.coherence >= best.coherence - 1e-6]
    preferred = next((m for m in tied if _PREFERRED_ON_A_TIE in m.could_be_from_charset), best)
    return str(preferred)


def decode_bytes(data: bytes, *, source: str = "<bytes>") -> str:
    """Decode an article's bytes to text.

    UTF-8 and UTF-16 or UTF-32 with a byte-order mark are read as such, UTF-16
    without one is told by where its NUL bytes fall, and any other encoding
    (cp1252, cp1251, Shift-JIS, GB18030...) is detected by charset-normalizer.

    Parameters
    ----------
    data
        The raw bytes.
    source
        How to name the input in an error message.

    Returns
    -------
    str
        The text, without a byte-order mark.

    Raises
    ------
    InputError
        The bytes are binary (NUL bytes, control characters), mix UTF-8 with
        another encoding, or are text in no encoding that can be recognised.
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source}: starts with a {codec.upper()} byte-order mark but is not valid "
                    f"{codec.upper()} (byte {exc.start}); re-save it as UTF-8"
                ) from None
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return text
    reason = _binary_reason(data)
    if reason:
        raise InputError(f"{source}: looks binary ({reason}); give a plain-text article")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    line = _mixed_line(data)
    if line is not None:
        raise InputError(
            f"{source}: mixes UTF-8 with another encoding (line {line} is not UTF-8); re-save it as UTF-8"
        )
    text = _guess_legacy(data)
    if text is None:
        raise InputError(f"{source}: is not text in any encoding charset-normalizer recognises; re-save it as UTF-8")
    return text


def long_line(text: str) -> str | None:
    """Why ``text`` cannot be classified, or None: a line longer than :data:`MAX_LINE_CHARS`.

    No article has such a paragraph; minified data or a binary file does, and
    classifying it would take minutes and gigabytes.
    """
    if len(text) <= MAX_LINE_CHARS:
        return None
    match = next((m for m in re.finditer(r"[^\r\n]+", text) if m.end() - m.start() > MAX_LINE_CHARS), None)
    if match is None:
        return None
    number = text.count("\n", 0, match.start()) + 1
    length = match.end() - match.start()
    return (
        f"line {number} is {_size(length)} characters long, more than a paragraph can be "
        f"({_size(MAX_LINE_CHARS)}); split it into paragraphs"
    )


def too_many_paragraphs(text: str) -> str | None:
    """Why ``text`` cannot be classified, or None: more non-blank lines than :data:`MAX_PARAGRAPHS`.

    Lines, not paragraphs, are counted (splitting three million lines into
    paragraphs takes seconds itself): only hard-wrapped text has fewer
    paragraphs than lines, and no hard-wrapped article has 100,000 lines.
    """
    if text.count("\n") + text.count("\r") < MAX_PARAGRAPHS:
        return None
    lines = sum(1 for line in text.splitlines() if line.strip())
    if lines <= MAX_PARAGRAPHS:
        return None
    return f"has {lines:,} lines of text, more than the {MAX_PARAGRAPHS:,} paragraphs an article can have; split it"


def check_text(text: str, *, source: str) -> str:
    """Return ``text`` if it can be classified.

    Raises
    ------
    InputError
        A line is too long (see :func:`long_line`), or there are too many
        (see :func:`too_many_paragraphs`).
    """
    reason = long_line(text) or too_many_paragraphs(text)
    if reason:
        raise InputError(f"{source}: {reason}")
    return text


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} M" if n >= 2**20 else f"{n / 2**10:.0f} k"


def read_error(path: str | Path, exc: OSError, *, fix: str = "check the file") -> InputError:
    """The one-line error for an input that the system would not read.

    Every reader words these the same way: a missing file, a folder where a
    file was expected, no permission, or another system error with ``fix``.
    """
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file; check the path")
    if isinstance(exc, IsADirectoryError) or exc.errno == errno.EISDIR:
        return InputError(f"{path}: is a folder; give a file")
    if isinstance(exc, PermissionError):
        return InputError(f"{path}: permission denied; make the file readable")
    return InputError(f"{path}: cannot be read ({exc.strerror or exc}); {fix}")


def open_input(path: str | Path) -> BinaryIO:
    """Open an input file for reading bytes, a named pipe included.

    A named pipe that nothing writes to is given :data:`FIFO_WAIT_SECONDS` to
    get a writer, instead of blocking forever.

    Raises
    ------
    InputError
        The file is missing, a folder, unreadable, or a pipe without a writer.
    """
    path = Path(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if stat.S_ISFIFO(info.st_mode):
            return _open_fifo(path)
        return open(path, "rb")
    except OSError as exc:
        raise read_error(path, exc) from None


class _Prefixed(io.RawIOBase):
    """A pipe's file descriptor, with the bytes already read from it put back in front."""

    def __init__(self, fd: int, prefix: bytes):
        self._fd = fd
        self._prefix = prefix

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = os.read(self._fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _open_fifo(path: Path) -> BinaryIO:
    # Opened without O_NONBLOCK, a pipe with no writer blocks in open() for good. Opened
    # with it, a read says which: EAGAIN while a writer is there, end-of-file while none is.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    deadline = time.monotonic() + FIFO_WAIT_SECONDS
    while True:
        try:
            first = os.read(fd, 65536)
        except BlockingIOError:
            first = b""
            break
        if first:
            break
        if time.monotonic() > deadline:
            os.close(fd)
            raise InputError(
                f"{path}: a named pipe that nothing writes to (waited {FIFO_WAIT_SECONDS:.0f} s); "
                "start its writer first, or pipe the text into '-'"
            )
        time.sleep(0.05)
    os.set_blocking(fd, True)
    return io.BufferedReader(_Prefixed(fd, first))


def read_limited(handle: BinaryIO, *, source: str, limit: int = MAX_INPUT_BYTES, sniff: bool = True) -> bytes:
    """Read a whole stream of at most ``limit`` bytes; with ``sniff``, a binary one is refused from its start.

    Raises
    ------
    InputError
        The stream is longer than ``limit`` or starts with binary data.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = handle.read(min(2**20, limit + 1 - size))
        if not chunk:
            break
        head = chunk[:65536] if sniff and not chunks else b""
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            if _utf16_without_bom(head[: len(head) // 2 * 2], final=False) is None:  # /dev/zero, an image
                raise InputError(f"{source}: looks binary (it has NUL bytes); give a plain-text article")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise InputError(
                f"{source}: is larger than {_size(limit)}B, more than an article can be; split it"
            )
    return b"".join(chunks)


def read_bytes(path: str | Path, *, limit: int = MAX_INPUT_BYTES, sniff: bool = True) -> bytes:
    """Read one input file's bytes, refusing one larger than ``limit`` (and, with ``sniff``, a binary one).

    Raises
    ------
    InputError
        As :func:`open_input`, or the file is larger than ``limit``.
    """
    path = Path(path)
    with open_input(path) as handle:
        try:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise InputError(
                    f"{path}: is {_size(info.st_size)}B, more than an article can be ({_size(limit)}B); split it"
                )
            return read_limited(handle, source=str(path), limit=limit, sniff=sniff)
        except OSError as exc:
            raise read_error(path, exc) from None


def read_text(path: str | Path) -> str:
    """Read and decode one article file.

    Raises
    ------
    InputError
        The file is missing, unreadable, a directory, too large, or not
        decodable text.
    """
    return check_text(decode_bytes(read_bytes(path), source=str(path)), source=str(path))


# C0 controls but tab and line feed, DEL and the C1 controls: on a terminal they move the
# cursor, clear the screen or set the window title. Shown as Python escapes instead.
_CONTROLS = [c for c in range(32) if c not in (9, 10)] + list(range(0x7F, 0xA0))
_TEXT_ESCAPES = {c: f"\\x{c:02x}" for c in _CONTROLS}
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}  # json.dumps escapes the C0 ones


def escape_controls(text: str, *, json: bool = False) -> str:
    """``text`` with control characters written as escapes, safe to print on a terminal.

    With ``json``, ``text`` is JSON (whose C0 controls are escaped already) and
    DEL and the C1 controls become ``\\u`` escapes, so it stays valid JSON.
    """
    return text.translate(_JSON_ESCAPES if json else _TEXT_ESCAPES)


def _lines(text: str) -> list[tuple[int, str]]:
    """Each line with its start offset, line ending stripped (CRLF, CR or LF)."""
    out = []
    for match in _LINE.finditer(text):
        raw = match.group()
        if not raw:
            break
        out.append((match.start(), raw.rstrip("\r\n")))
    return out


def _is_hard_wrapped(lines: list[str]) -> int:
    """Return the wrap width if the text looks hard-wrapped, else 0."""
    content = [line.rstrip() for line in lines if not _is_blank(line)]
    if not content or len(content) == len(lines):
        return 0  # no blank line separates paragraphs
    long_lines = sum(len(line) > _WRAP_WIDTH_MAX for line in content)
    if long_lines > _LONG_LINE_SHARE * len(content):
        return 0
    width = max((len(line) for line in content if len(line) <= _WRAP_WIDTH_MAX), default=0)
    return width if width >= _WRAP_WIDTH_MIN else 0


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split an article's text into paragraphs.

    Parameters
    ----------
    text
        Decoded text, as from :func:`read_text` or :func:`decode_bytes`.

    Returns
    -------
    list[Paragraph]
        In reading order, ``index`` counting from 0. Blank and whitespace-only
        lines are dropped; an empty or blank text gives an empty list.
    """
    lines = _lines(text)
    width = _is_hard_wrapped([line for _, line in lines])
    blocks: list[list[tuple[int, str]]] = []
    previous = ""
    for offset, line in lines:
        if _is_blank(line):
            previous = ""
            continue
        stripped = line.strip()
        joins = (
            width
            and previous
            and len(previous) + 1 + len(stripped.split()[0]) > width
        )
        if joins:
            blocks[-1].append((offset, line))
        else:
            blocks.append([(offset, line)])
        previous = line.rstrip()
    paragraphs = []
    for block in blocks:
        first_offset, first_line = block[0]
        last_offset, last_line = block[-1]
        start = first_offset + len(first_line) - len(first_line.lstrip())
        end = last_offset + len(last_line.rstrip())
        paragraphs.append(
            Paragraph(len(paragraphs), start, end, normalise_space(text[start:end]))
        )
    return paragraphs
