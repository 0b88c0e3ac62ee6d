"""Sounding: find every student's unfinished math learning and plan what to do about it."""

__version__ = "0.1.0"
