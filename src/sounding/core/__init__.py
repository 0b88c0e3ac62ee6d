"""The bottom layer: thresholds and vocabulary every other package shares, each defined once.

Nothing here imports any other part of Sounding, so any package may import it.
"""

from sounding.core.thresholds import MIN_N, NOT_SECURE, SECURE, UNFINISHED
from sounding.core.vocabulary import OutFormat

__all__ = ["MIN_N", "NOT_SECURE", "SECURE", "UNFINISHED", "OutFormat"]
