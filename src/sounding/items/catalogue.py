"""Every template of the bank: importing the template modules registers them.

Kept apart from :mod:`sounding.items.registry` (which the template modules import for the
``@template`` decorator), so that no module imports one that imports it back.
"""

from __future__ import annotations

from sounding.items import (  # noqa: F401 - imported for their registrations
    templates_algebra,
    templates_fractions,
    templates_geometry,
    templates_number,
)
from sounding.items.model import Template
from sounding.items.registry import registrations


def registered() -> dict[str, list[Template]]:
    """Every registered template per standard."""
    return registrations()
