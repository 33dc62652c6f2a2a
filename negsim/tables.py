"""Plain-data helpers shared by every saved output: nullable columns and JSON-safe values.

No NaN or infinity reaches a table or a JSON document: float columns become pandas' nullable
``Float64`` (NaN -> null in Parquet, empty in CSV) and :func:`plain` turns NaN, infinity and
pandas' NA into ``None`` and numpy scalars into Python numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["nullable", "plain", "records"]


def nullable(df: "pd.DataFrame") -> "pd.DataFrame":
    """Float columns with NaN become nullable (NaN -> null in Parquet, empty in CSV)."""
    for col in df.columns:
        if df[col].dtype.kind == "f":
            df[col] = df[col].astype("Float64")
    return df


def plain(value: Any) -> Any:
    """JSON-safe: NaN/inf/NA -> None, numpy scalars -> Python, recursively."""
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def records(df: "pd.DataFrame") -> list[dict[str, Any]]:
    """A table's rows as JSON-safe dicts."""
    return [{k: plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]
