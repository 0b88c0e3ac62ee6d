"""What every importer shares: the report it returns, problem collection, text decoding.

Kept apart from the OneRoster reader so the evidence importers (responses, scores) speak the
same way: an :class:`ImportReport` on success, :class:`~sounding.errors.InvalidData` listing
problems (file, line, field) on failure.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import asdict, dataclass, field

from sounding.errors import Problem

#: Problems kept per import; past this only a count is kept (a systematic error in a
#: 2-million-row file must not build 2 million messages).
MAX_PROBLEMS = 1000


@dataclass
class ImportReport:
    """What an import did: rows read per entity, rows new in the store, anything notable."""

    kind: str
    source: str
    rows: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: delta imports: table -> {"added": n, "updated": n, "deleted": n}
    changes: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


class Problems:
    """Collects problems up to a cap, counting (not keeping) the rest."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, file: str, line: int | None, field: str | None, message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(Problem(file, line, field, message))
        else:
            self.dropped += 1

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.file, p.line, p.field, p.message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + self.dropped

    def final(self) -> list[Problem]:
        """The problems, with a last line saying how many more there were."""
        out = list(self.items)
        if self.dropped:
            last = out[-1]
            out.append(Problem(last.file, last.line, last.field,
                               f"... and {self.dropped} more problem(s) not listed"))
        return out


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, file: str, problems: Problems) -> str:
    """UTF-8 text (a leading BOM dropped) from ``data``; every line with bytes that are not
    UTF-8 becomes a problem naming its line and, when the header allows, its field.

    The returned text has undecodable bytes replaced by U+FFFD so the caller can go on
    checking everything else: one pass reports all the problems of a file.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    header: list[str] = []
    try:
        header = next(csv.reader([lines[0].decode("utf-8", "replace").rstrip("\r")]))
    except (csv.Error, StopIteration):
        header = []
    for n, raw in enumerate(lines, start=1):
        try:
            raw.decode("utf-8")
            continue
        except UnicodeDecodeError as exc:
            bad_byte = raw[exc.start:exc.start + 1].hex()
        text = raw.decode("utf-8", "surrogateescape").rstrip("\r")
        fields: list[str] = []
        try:
            for values in csv.reader(io.StringIO(text)):
                fields = values
                break
        except csv.Error:
            fields = []
        bad = [i for i, v in enumerate(fields) if any("\udc80" <= ch <= "\udcff" for ch in v)]
        name = None
        if bad:
            i = bad[0]
            name = header[i] if n > 1 and i < len(header) else f"column {i + 1}"
        problems.add(file, n, name, f"not valid UTF-8 (byte 0x{bad_byte}); save the file as "
                                    "UTF-8")
    return data.decode("utf-8", "replace")
