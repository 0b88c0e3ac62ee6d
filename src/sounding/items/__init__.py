"""The item bank: generated items on every standard, checked exactly, rendered as MathML.

    from sounding.items import ItemBank
    bank = ItemBank.default()
    item = bank.generate("5.NF.A.1", seed=7)
    item.check("17/12")            # True for 17/12, 1 5/12, 34/24 ...
    item.html                      # the prompt with MathML
"""

from sounding.items.answers import check
from sounding.items.bank import ItemBank, initial_calibration
from sounding.items.model import KINDS, Item, Template

__all__ = ["KINDS", "Item", "ItemBank", "Template", "check", "initial_calibration"]
