"""Rosters: OneRoster 1.2 (and 1.1) CSV exports, validated at the boundary.

    from sounding.roster import import_roster, read_roster
"""

from sounding.roster.oneroster import Roster, grade_of, import_roster, read_roster
from sounding.roster.records import ImportReport

__all__ = ["ImportReport", "Roster", "grade_of", "import_roster", "read_roster"]
