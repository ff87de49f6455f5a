"""CSV uploads read line by line in linear time, with a bound on line and field size.

``codecs.StreamReader.readline`` grows a line by concatenating 8 KB reads,
so one 14 MB field costs quadratic time (49 s measured) before the csv
module ever sees it. :func:`bounded_lines` reads through ``io.TextIOWrapper``
(linear, in C) and stops a line as soon as it passes the limit, so a hostile
upload costs at most the limit in memory and time per line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

MAX_FIELD_CHARS = 131_072
"""Longest field accepted (the csv module's own default limit, stated here)."""

MAX_LINE_CHARS = 1_048_576
"""Longest physical line accepted: room for many fields, far below a memory hazard."""


class CSVLimitError(ValueError):
    """A line of the upload is longer than allowed; ``line`` counts from 1 (the header)."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(
            f"line {line} is longer than {limit} characters; a field this long is not account data"
        )
        self.line = line
        self.limit = limit


def bounded_lines(stream: IO[bytes], *, max_line_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The UTF-8 (BOM allowed) text lines of ``stream``, each at most ``max_line_chars``.

    Lines keep their endings (``newline=""``), as :func:`csv.reader` wants.
    Raises :class:`CSVLimitError` at the first longer line and
    ``UnicodeDecodeError`` on bytes that are not UTF-8. Pair it with
    :func:`bounded_reader` so a quoted field spread over many short lines is
    bounded too.

    >>> list(bounded_lines(io.BytesIO(b"id,name\\r\\n1,a\\n")))
    ['id,name\\r\\n', '1,a\\n']
    """
    text = io.TextIOWrapper(
        io.BufferedReader(_Unclosable(stream)), encoding="utf-8-sig", newline=""
    )
    number = 0
    while line := text.readline(max_line_chars + 1):
        number += 1
        if len(line) > max_line_chars:
            raise CSVLimitError(number, max_line_chars)
        yield line


def bounded_reader(lines: Iterator[str]) -> csv.DictReader[str]:
    """A ``csv.DictReader`` over ``lines`` whose fields are limited to :data:`MAX_FIELD_CHARS`.

    The csv module checks the field size as it scans (in C, linear); past
    the limit it raises ``csv.Error`` naming it.
    """
    # The limit is process-wide state of the csv module: set it to the
    # value this service documents rather than trusting whoever ran last.
    csv.field_size_limit(MAX_FIELD_CHARS)
    return csv.DictReader(lines)


class _Unclosable(io.RawIOBase):
    """A read-only view of a byte stream that the text wrapper may not close."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
