"""What-ifs: a scenario run as it is (the baseline) and with changes, same rule, settings and
seed, and what the changes changed.

A change is a ``--set`` override (``actors.germany.issues.I6.salience=0.9``), an event (as in
the scenario's ``events:``, e.g. ``{"round": 8, "actor": "russia", "issue": "I3",
"position": 30}``; round 0 means before bargaining) or an actor removed from the start
(``remove=["hungary"]``, the same as ``--set actors.hungary=null``). :func:`whatif` returns a
:class:`WhatIf` holding both :class:`~negsim.result.RunResult` objects, with:

* :meth:`WhatIf.differences`: one tidy row per issue and measure (status, agreement, forecast,
  mean, final dispersion, rounds), baseline beside what-if;
* :meth:`WhatIf.actor_changes`: the actors whose end positions changed most, per issue;
* :meth:`WhatIf.save` / :meth:`WhatIf.load`: a directory ``DIR/baseline``, ``DIR/whatif`` (two
  ordinary run directories, for charts and the two-run report) and ``whatif.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any


from .errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .result import RunResult
    from .scenario import Scenario

__all__ = ["WhatIf", "whatif", "parse_event", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MEASURES = ("status", "agreement", "forecast", "mean", "final_dispersion", "rounds_run")


@dataclass
class WhatIf:
    """A baseline run and a changed run of one scenario, and the changes that separate them."""

    baseline: "RunResult"
    changed: "RunResult"
    changes: list[str] = field(default_factory=list)
    command: str | None = None

    # -- comparisons ---------------------------------------------------------------------------
    def differences(self) -> "pd.DataFrame":
        """One row per issue and measure: ``issue, measure, baseline, whatif, changed``
        (``difference`` for numbers)."""
        import pandas as pd

        base = {r["issue"]: r for r in self.baseline.issue_records()}
        new = {r["issue"]: r for r in self.changed.issue_records()}
        rows = []
        for iid in self.baseline.issue_ids:
            a, b = base[iid], new.get(iid, {})
            for m in MEASURES:
                if m == "agreement" and "agreement" not in a and "agreement" not in b:
                    continue
                va, vb = a.get(m), b.get(m)
                if m == "status":
                    va = _status_text(a)
                    vb = _status_text(b) if b else None
                numeric = isinstance(va, (int, float)) and isinstance(vb, (int, float))
                rows.append({"issue": iid, "measure": m, "baseline": va, "whatif": vb,
                             "difference": (vb - va) if numeric else None,
                             "changed": bool(abs(vb - va) > 1e-9) if numeric else va != vb})
        df = pd.DataFrame(rows, columns=["issue", "measure", "baseline", "whatif",
                                         "difference", "changed"])
        df["difference"] = df["difference"].astype("Float64")
        return df

    def actor_changes(self, issue_id: str, limit: int = 5) -> list[tuple[str, float, float]]:
        """The actors whose end position on the issue changed most: (id, before, after),
        largest change first; actors present in only one run come first."""
        a, b = self.baseline, self.changed
        k = a.issue_ids.index(issue_id)
        out = []
        for i, aid in enumerate(a.actor_ids):
            j = b.actor_ids.index(aid) if aid in b.actor_ids else None
            in_a = bool(a.active[-1, k, i])
            in_b = j is not None and bool(b.active[-1, k, j])
            if not in_a and not in_b:
                continue
            before = float(a.positions[-1, k, i]) if in_a else float("nan")
            after = float(b.positions[-1, k, j]) if in_b else float("nan")
            out.append((aid, before, after))
        def size(t: tuple[str, float, float]) -> float:
            d = t[2] - t[1]
            return float("inf") if d != d else abs(d)
        out = [t for t in out if size(t) > 1e-9]
        out.sort(key=lambda t: -size(t))
        return out[:limit]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: the changes, per issue the measures before and after and
        the actors that moved most, and both runs' settings."""
        from .tables import plain

        diff = self.differences()
        issues: dict[str, Any] = {}
        for iid in self.baseline.issue_ids:
            sub = diff[diff["issue"] == iid]
            issues[iid] = {
                "name": self.baseline.scenario.issues[iid].name,
                **{r["measure"]: {"baseline": r["baseline"], "whatif": r["whatif"],
                                  "changed": r["changed"]} for r in sub.to_dict("records")},
                "actors_changed_most": [{"actor": a, "baseline": x, "whatif": y}
                                        for a, x, y in self.actor_changes(iid)],
            }
        return plain({"format_version": FORMAT_VERSION, "kind": "whatif",
                      "scenario": self.baseline.scenario.title,
                      "scenario_file": self.baseline.scenario.source,
                      "model": self.baseline.rule, "seed": self.baseline.seed,
                      "changes": self.changes, "command": self.command, "issues": issues})

    # -- files ---------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """``DIR/baseline``, ``DIR/whatif`` (run directories), ``whatif.json`` and
        ``differences.csv``; written whole, replacing an older what-if there."""
        from .files import replace_dir, write_atomic

        def fill(out: Path) -> None:
            for name, run in (("baseline", self.baseline), ("whatif", self.changed)):
                run.command = self.command
                (out / name).mkdir()
                run.write_into(out / name)
            text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
            write_atomic(out / "whatif.json", lambda p: p.write_text(text + "\n"))
            table = self.differences()
            write_atomic(out / "differences.csv", lambda p: table.to_csv(p, index=False))

        return replace_dir(directory, fill)

    @classmethod
    def load(cls, directory: str | Path) -> "WhatIf":
        from .result import RunResult

        d = Path(directory)
        if not (d / "whatif.json").is_file():
            raise InputError([Problem(str(d), "", "not a what-if directory (no whatif.json; "
                                      "write one with negsim whatif --out)")])
        try:
            doc = json.loads((d / "whatif.json").read_text())
        except ValueError as exc:
            raise InputError([Problem(str(d / "whatif.json"), "", f"damaged: {exc}")]) from None
        return cls(RunResult.load(d / "baseline"), RunResult.load(d / "whatif"),
                   list(doc.get("changes", [])), doc.get("command"))


def _status_text(rec: Mapping[str, Any]) -> str | None:
    if not rec:
        return None
    text = rec["status"] + (f": {rec['detail']}" if rec.get("detail") else "")
    return text + (f" from {rec['converged_round']}" if rec.get("converged_round") is not None
                   else "")


# -- building one ---------------------------------------------------------------------------

def parse_event(text: str) -> dict[str, Any]:
    """``round=8,actor=russia,issue=I3,position=30`` (or a YAML/JSON mapping) as an event."""
    from .readers import parse_value

    text = text.strip()
    if text.startswith("{"):
        value = parse_value(text)
        if isinstance(value, dict):
            return value
        raise InputError([Problem("--event", "", "expected a mapping or KEY=VALUE,...", text)])
    out: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InputError([Problem("--event", "", "expected KEY=VALUE,... e.g. round=8,"
                                      "actor=russia,issue=I3,position=30", text)])
        out[key.strip()] = parse_value(value.strip())
    return out


def whatif(case: "Scenario | str | Path | None" = None, *,
           overrides: Mapping[str, Any] | Iterable[str] | None = None,
           events: Sequence[Mapping[str, Any]] = (), remove: Sequence[str] = (),
           rule: str | None = None, params: Mapping[str, Any] | None = None,
           rounds: int | None = None, stop: str | None = None, seed: int | None = None,
           record_pairs: bool = False) -> WhatIf:
    """Run ``case`` as it is and with the changes, same rule, parameters, settings and seed."""
    from .engine import Negotiation as NegotiationModel, resolve_case
    from .readers import Document, apply_overrides
    from .scenario import validate_document

    base = resolve_case(case)
    doc = Document(base.to_document(), base.source, "yaml")
    texts: list[str] = []
    if overrides:
        items = list(overrides.items()) if isinstance(overrides, Mapping) else None
        doc.problems.extend(apply_overrides(doc, dict(overrides) if items is not None
                                            else list(overrides)))
        texts += ([f"{k} = {v}" for k, v in items] if items is not None
                  else [str(o) for o in overrides])
    new_events = [dict(e) for e in events] + [{"round": 0, "remove": a} for a in remove]
    if new_events:
        doc.data.setdefault("events", [])
        for n, ev in enumerate(new_events):
            doc.data["events"].append(ev)
            doc.origins[("events", len(doc.data["events"]) - 1)] = \
                "--remove" if "remove" in ev and n >= len(events) else "--event"
    changed_case = validate_document(doc)
    texts += [ev.describe(changed_case) + (f" (round {ev.round})" if ev.round else "")
              for ev in changed_case.events[len(base.events):]]
    if not texts:
        raise InputError([Problem("whatif", "", "no change given: use --set, --event or "
                                  "--remove")])

    def run(sc: "Scenario", max_rounds: int | None, how: str | None) -> "RunResult":
        return NegotiationModel(case=sc, rule=rule, rule_params=params, max_rounds=max_rounds,
                                stop=how, rng=seed, record_pairs=record_pairs).run()

    a, b = run(base, rounds, stop), run(changed_case, rounds, stop)
    if a.rounds_run != b.rounds_run and a.settings["stop"] == "auto":
        # Compare at the same point: a run that cycles ends where its cycle stood, so the two
        # runs replay as many rounds as the longer one needed (cycles are still detected).
        n = max(a.rounds_run, b.rounds_run)
        a, b = run(base, n, "never"), run(changed_case, n, "never")
        texts.append(f"(both runs play {n} rounds, the longer run's length, so that issues that "
                     "cycle are compared at the same point)")
    return WhatIf(a, b, texts)
