"""Plain JSON values from what numpy, pandas and datetime hand back.

Reports, store rows and ``--json`` output all need the same conversion: numpy numbers become
Python numbers, NaN and infinities become ``None`` (JSON has neither), times become ISO text.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        value = item()
        if isinstance(value, bool | int):
            return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
