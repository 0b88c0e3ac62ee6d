"""Reading a JSON file shipped with a package, or one given instead."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any


def packaged_or_given_json(package: str, name: str, path: str | Path | None = None) -> Any:
    """The JSON at ``path`` when given, else the file ``name`` shipped in ``package``;
    None when no path is given and the package ships no such file."""
    if path is None:
        res = resources.files(package).joinpath(name)
        if not res.is_file():
            return None
        text = res.read_text()
    else:
        text = Path(path).read_text()
    return json.loads(text)
