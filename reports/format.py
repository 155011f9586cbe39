"""Numbers as the report's tables show them."""

from __future__ import annotations

import math

import numpy as np


def fmt(value, digits: int = 3) -> str:
    """A number for a table cell: fixed digits, an en dash for missing values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.{digits}f}"


def fmt_p(p) -> str:
    """A p-value: three significant digits, or '< 0.001'."""
    if p is None or not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
