"""A back-test's outcome: per-issue forecasts and errors, the summary, paired comparisons and
the record, saved and loaded by :class:`BacktestResult`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tables import nullable, plain, records
from .cases import DETECTABLE_NOTE

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["BacktestResult"]


@dataclass
class BacktestResult:
    """Per-issue forecasts and errors, the summary, paired comparisons and the record."""

    issues: "pd.DataFrame"
    summary: "pd.DataFrame"
    paired: "pd.DataFrame"
    skipped: "pd.DataFrame"
    manifest: dict[str, Any]

    @property
    def models(self) -> list[str]:
        return [m["name"] for m in self.manifest["models"]]

    def mae(self, model: str) -> float:
        row = self.summary[(self.summary["model"] == model) & (self.summary["by"] == "all")]
        return float(row["mae"].iloc[0])

    def detectable_note(self) -> str:
        # pairs that forecast (nearly) alike say nothing about the data's resolution
        det = [d for d in (self.paired["detectable"].dropna() if len(self.paired) else [])
               if d >= 0.05]
        n = self.manifest["counts"].get("scored", 0)
        text = ""
        if len(det):
            lo, hi = float(min(det)), float(max(det))
            span = f"{lo:.1f}" if abs(hi - lo) < 0.05 else f"{lo:.1f}-{hi:.1f}"
            text = (f"With {n} issues, MAE differences smaller than about {span} points cannot be "
                    "told from chance (80% power, 5% level, from the paired differences). ")
        if self.manifest.get("target") == "deu":
            text += DETECTABLE_NOTE
        return text.strip()

    def to_dict(self, issues: bool = True) -> dict[str, Any]:
        """The ``--json`` document (no NaN: missing values are null)."""
        doc = dict(self.manifest)
        doc["summary"] = records(self.summary)
        doc["paired"] = records(self.paired)
        doc["note"] = self.detectable_note()
        doc["skipped"] = records(self.skipped)
        if issues:
            doc["issues"] = records(self.issues)
        return plain(doc)

    def figure(self) -> "Figure":
        """Error distributions (:func:`negsim.plots.backtest.plot_errors`)."""
        from ..plots.backtest import plot_errors

        return plot_errors(self)

    def save(self, directory: str | Path, figure: bool = True) -> list[Path]:
        """Write the tables (Parquet and CSV), ``errors.png`` and ``manifest.json`` to
        ``directory``. Each file appears whole or not at all."""
        from ..files import replace_dir

        written: list[Path] = []

        def fill(tmp: Path) -> None:
            written.extend(self.write_into(tmp, figure))

        out = replace_dir(directory, fill)
        return [out / p.name for p in written]

    @classmethod
    def load(cls, directory: str | Path) -> "BacktestResult":
        """Read a directory written by :meth:`save`; a damaged one is an InputError."""
        import pandas as pd

        from ..errors import InputError, Problem

        d = Path(directory)
        try:
            manifest = json.loads((d / "manifest.json").read_text())
            if manifest.get("kind") != "backtest":
                raise ValueError("manifest.json is not a back-test's")
            tables = {name: pd.read_parquet(d / f"{name}.parquet")
                      for name in ("issues", "summary", "paired", "skipped")}
        except (OSError, ValueError, KeyError) as exc:
            raise InputError([Problem(str(d), "", "not a readable back-test directory: "
                                      f"{type(exc).__name__}: {str(exc)[:200]}")]) from None
        return cls(tables["issues"], tables["summary"], tables["paired"], tables["skipped"],
                   manifest)

    def write_into(self, out: Path, figure: bool = True) -> list[Path]:
        """Write the files into the (new, empty) directory ``out``."""
        from ..files import write_atomic

        written: list[Path] = []
        tables = {"issues": self.issues, "summary": self.summary, "paired": self.paired,
                  "skipped": self.skipped}
        for name, df in tables.items():
            df = nullable(df.copy())
            for ext, write in (("parquet", lambda p, df=df: df.to_parquet(p, index=False)),
                               ("csv", lambda p, df=df: df.to_csv(p, index=False))):
                path = out / f"{name}.{ext}"
                write_atomic(path, write)
                written.append(path)
        if figure and len(self.issues):
            fig = self.figure()
            path = out / "errors.png"
            write_atomic(path, lambda p: fig.savefig(p, dpi=150, format="png"))
            written.append(path)
        manifest = dict(self.manifest)
        manifest["files"] = sorted(p.name for p in written) + ["manifest.json"]
        manifest["note"] = self.detectable_note()
        text = json.dumps(plain(manifest), indent=2, allow_nan=False)
        path = out / "manifest.json"
        write_atomic(path, lambda p: p.write_text(text + "\n"))
        written.append(path)
        return written


