"""Words the faces share (output formats), defined once."""

from __future__ import annotations

from enum import StrEnum


class OutFormat(StrEnum):
    """``--format`` of every command that prints results: text for people, json for scripts."""

    text = "text"
    json = "json"
