"""Which encoding a text file is in: a byte-order mark says it (UTF-8, UTF-16), else UTF-8 if
the start of the file reads as UTF-8, else what ``charset-normalizer`` finds among the
encodings French files come in (Latin-1 and Windows-1252 from spreadsheets, UTF-16 without a
mark)."""
from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

SAMPLE_BYTES = 1 << 20
# What French publishers write in when it is not UTF-8 (a wider choice guesses Central European
# code pages for French text, and "è" would become "č").
CANDIDATES = ["utf_16", "utf_16_le", "utf_16_be", "cp1252", "latin_1", "iso8859_15"]
_MARKS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
          (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(path: Path) -> str:
    """The encoding to read ``path`` with (a Python codec name)."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    for mark, encoding in _MARKS:
        if sample.startswith(mark):
            return encoding
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(sample, cp_isolation=CANDIDATES).best()
    return best.encoding if best is not None else "latin-1"
