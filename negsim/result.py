"""The record of a finished run: per-round arrays, per-issue convergence, tables and files.

A :class:`RunResult` is built from a model (``NegotiationModel.run()``) or read back from a run
directory written by :meth:`RunResult.save` (``negsim run --out DIR``), so that tables, charts
and reports are produced from stored records without re-simulating.

Files in a run directory:

``summary.json``
    scenario title and file, rule, every parameter (with defaults filled in), seed, settings,
    rounds run, per-issue status/round/forecast, events, the command line.
``issue_rounds.csv`` / ``.parquet``
    one row per round and issue: the forecast (the rule's; with institutions, the agreed outcome
    or else the status quo), weighted median and mean, dispersion, largest move, actors; with
    institutions also the bargained outcome, the agreement and the zone's ends.
``actor_rounds.csv`` / ``.parquet``
    one row per round, issue and participating actor: the position bargaining started from
    (``start``, which differs from the previous round's ``position`` only where an event
    intervened), the position reached, salience, capability, the kind of offer accepted and from
    whom, and the rule's per-actor diagnostics.
``pairs.parquet``
    (rules with pairwise diagnostics, when recorded) one row per round, issue and ordered pair.
``plenary_rounds.csv`` / ``.parquet``
    (two-level runs) one row per round, issue and plenary participant (a bloc, or an actor in
    no bloc): its position, the kind of offer accepted, from whom, and whether its bloc's
    members cut its move back (``clamped``).
``log.jsonl``
    the rule's own per-round records (exchanges, ties) and, with institutions, every change of
    an issue's agreement, one JSON object a line.
``scenario.yaml``
    the validated scenario as run (overrides applied, saliences on 0-1).

A run directory is written whole: into a temporary sibling, then renamed over the target, so an
interrupted write leaves the old directory (or none) and a re-run replaces it entirely.

Missing values (an actor that held has no partner) are empty cells in CSV and nulls in Parquet
and JSON; no NaN or infinity is ever written.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .convergence import IssueStatus, classify
from .errors import InputError, Problem
from .files import replace_dir, write_atomic
from .tables import nullable
from .records import AGREEMENT_CODES, AGREEMENT_LABELS, PlenaryRecords
from .rules.base import MoveKind

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .records import RunHistory
    from .scenario import Scenario

__all__ = ["RunResult", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_KIND_LABELS = {int(k): k.label for k in MoveKind}


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class RunResult:
    scenario: "Scenario"
    rule: str
    params: dict[str, Any]
    seed: int | None
    settings: dict[str, Any]
    issue_ids: list[str]
    actor_ids: list[str]
    positions: np.ndarray      #: (T+1, m, n) at the end of each round
    start: np.ndarray          #: (T+1, m, n) at the start of each round's bargaining (after events)
    active: np.ndarray         #: (T+1, m, n) bool
    salience: np.ndarray       #: (T+1, m, n)
    capability: np.ndarray     #: (T+1, m, n)
    kind: np.ndarray           #: (T+1, m, n) int8 MoveKind
    partner: np.ndarray        #: (T+1, m, n) int, -1 for none
    median: np.ndarray         #: (T+1, m)
    mean: np.ndarray           #: (T+1, m)
    dispersion: np.ndarray     #: (T+1, m)
    max_move: np.ndarray       #: (T+1, m), round 0 is +inf
    statuses: list[IssueStatus]
    actor_info: dict[str, np.ndarray] = field(default_factory=dict)
    pair_info: dict[str, np.ndarray] = field(default_factory=dict)
    events: list[tuple[int, str]] = field(default_factory=list)
    command: str | None = None
    #: the rule's own per-round records (``RoundOutcome.log``), each with its ``round``
    log: list[dict[str, Any]] = field(default_factory=list)
    #: (T+1, m) the rule's forecast of every issue after each round (see ``Rule.forecast``);
    #: None means the weighted median
    forecast_series: np.ndarray | None = None
    #: extra per-issue series of the rule, name -> (T+1, m)
    issue_info: dict[str, np.ndarray] = field(default_factory=dict)
    #: runs with institutions: (T+1, m) agreement codes (``records.AGREEMENT_LABELS``), the
    #: zone's ends (T+1, m, 2; NaN when none) and the bargained outcome (T+1, m)
    agreement: np.ndarray | None = None
    zone: np.ndarray | None = None
    bargain: np.ndarray | None = None
    #: two-level runs: the plenary's records
    plenary: PlenaryRecords | None = None

    def __post_init__(self) -> None:
        if self.forecast_series is None:
            self.forecast_series = self.median.copy()

    @property
    def forecast_label(self) -> str:
        """What the forecast is, in words ("weighted median", "voting outcome", ...)."""
        from .rules import UnknownRule, get_rule

        try:
            return get_rule(self.rule).forecast_label
        except UnknownRule:
            return "forecast"

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_history(cls, h: "RunHistory", *, scenario: "Scenario", rule: str,
                     params: dict[str, Any], seed: int | None, settings: dict[str, Any],
                     issue_ids: list[str], actor_ids: list[str], low: np.ndarray,
                     high: np.ndarray, cycles: dict[str, tuple[int, int]] | None = None
                     ) -> "RunResult":
        """The result of a run from its records (:class:`~negsim.records.RunHistory`)."""
        T1 = h.rounds + 1
        width = high - low
        positions, active = h.positions[:T1], h.active[:T1]
        median, mean, dispersion = h.median[:T1], h.mean[:T1], h.dispersion[:T1]
        max_move = h.max_move[:T1]
        cyc = {issue_ids.index(i): v for i, v in (cycles or {}).items()}
        statuses = classify(dispersion, max_move, settings["tolerance"] * width,
                            settings["move_tolerance"] * width, settings["patience"], median,
                            mean, np.where(active, positions, 0.0), cycles=cyc)
        inst = bool(settings.get("institutions"))
        return cls(
            scenario=scenario, rule=rule, params=params, seed=seed, settings=settings,
            issue_ids=issue_ids, actor_ids=actor_ids, positions=positions,
            start=h.start[:T1], active=active, salience=h.salience[:T1],
            capability=h.capability[:T1], kind=h.kind[:T1], partner=h.partner[:T1],
            median=median, mean=mean, dispersion=dispersion, max_move=max_move,
            statuses=statuses, actor_info={k: v[:T1] for k, v in h.actor_info.items()},
            pair_info={k: v[:T1] for k, v in h.pair_info.items()}, events=list(h.events),
            log=[rec for rnd in h.log for rec in rnd], forecast_series=h.forecast[:T1],
            issue_info={k: v[:T1] for k, v in h.issue_info.items()},
            agreement=h.agreement[:T1] if inst else None, zone=h.zone[:T1] if inst else None,
            bargain=h.bargain[:T1] if inst else None,
            plenary=h.plenary.cut(T1) if h.plenary is not None else None,
        )

    @classmethod
    def from_model(cls, model: Any) -> "RunResult":
        """The result of a model's run so far (``model.result()``)."""
        return model.result()

    # -- simple views ------------------------------------------------------------------------
    @property
    def rounds_run(self) -> int:
        return self.positions.shape[0] - 1

    @property
    def forecast(self) -> dict[str, float]:
        return {iid: float(self.forecast_series[-1, k]) for k, iid in enumerate(self.issue_ids)}

    def actor_name(self, actor_id: str) -> str:
        return self.scenario.actor_name(actor_id)

    def status(self, issue_id: str) -> IssueStatus:
        return self.statuses[self.issue_ids.index(issue_id)]

    def trajectory(self, issue_id: str, actor_id: str) -> np.ndarray:
        """Positions of one actor on one issue by round (NaN where it took no part)."""
        k, i = self.issue_ids.index(issue_id), self.actor_ids.index(actor_id)
        return np.where(self.active[:, k, i], self.positions[:, k, i], np.nan)

    def nearest_label(self, issue_id: str, value: float) -> str:
        """``"~ label"`` of the labelled point of the issue's scale (an end or an anchor)
        nearest to ``value``, if it lies within an eighth of the scale; else ``""``."""
        issue = self.scenario.issues[issue_id]
        points = dict(issue.anchors)
        if issue.ends:
            points[issue.scale.low] = issue.ends.low
            points[issue.scale.high] = issue.ends.high
        if not points:
            return ""
        width = issue.scale.high - issue.scale.low
        at, label = min(points.items(), key=lambda kv: abs(kv[0] - value))
        return f"~ {label}" if abs(at - value) <= width / 8 else ""

    def moved_most(self, issue_id: str) -> tuple[str, float] | None:
        """The actor with the largest net move (final minus initial) on the issue."""
        k = self.issue_ids.index(issue_id)
        both = self.active[0, k] & self.active[-1, k]
        if not both.any():
            return None
        delta = np.where(both, self.positions[-1, k] - self.positions[0, k], 0.0)
        i = int(np.argmax(np.abs(delta)))
        return self.actor_ids[i], float(delta[i])

    # -- the why of each move (see negsim.narrative) ----------------------------------------
    def moves(self) -> list[dict[str, Any]]:
        """Every accepted offer, largest moves first (:func:`negsim.narrative.moves`)."""
        from .narrative import moves

        return moves(self)

    def narrative(self, limit: int = 5) -> list[str]:
        """The ``limit`` largest moves as sentences, plain words first (in the rule's own terms
        when it has them), and what the institutions made of each issue."""
        from .narrative import narrative

        return narrative(self, limit)

    def actor_story(self, actor_id: str, issue_id: str | None = None) -> list[str]:
        """One actor's story round by round (on one issue, or all)."""
        from .narrative import actor_story

        return actor_story(self, actor_id, issue_id)

    # -- JSON ----------------------------------------------------------------------------------
    def issue_records(self) -> list[dict[str, Any]]:
        """One plain record per issue: the one place the per-issue outcome of a run is built
        (``--json``, comparisons, sweep rows, back-tests and the dashboard all read it)."""
        out = []
        for k, iid in enumerate(self.issue_ids):
            st = self.statuses[k]
            mm = self.moved_most(iid)
            out.append({
                "issue": iid,
                "name": self.scenario.issues[iid].name,
                "status": st.status,
                "converged_round": st.since,
                "detail": st.detail or None,
                "cycle_start": st.cycle_start,
                "forecast": float(self.forecast_series[-1, k]),
                "mean": float(self.mean[-1, k]),
                "initial_dispersion": float(self.dispersion[0, k]),
                "final_dispersion": float(self.dispersion[-1, k]),
                "moved_most": None if mm is None else {"actor": mm[0], "change": mm[1]},
                "rounds_run": self.rounds_run,
            })
            if self.agreement is not None:
                out[-1].update(self.agreement_record(k))
        return out

    def agreement_record(self, k: int) -> dict[str, Any]:
        """What the institutions made of issue ``k`` (runs with institutions): the status quo,
        the final zone, the agreement, the bargained outcome, the round the agreement (or its
        absence) began and who decided it."""
        assert self.agreement is not None and self.zone is not None and self.bargain is not None
        code = int(self.agreement[-1, k])
        same = self.agreement[:, k] == code
        # the first round of the final stretch with this agreement status
        since = 0 if same.all() else int(self.rounds_run - np.argmin(same[::-1]) + 1)
        sq = self.scenario.issues[self.issue_ids[k]].status_quo
        z = self.zone[-1, k]
        last = next((r for r in reversed(self.log) if r.get("kind") == "agreement"
                     and r.get("issue") == self.issue_ids[k]), {})
        return {"status_quo": sq,
                "zone": None if not np.isfinite(z).all() else [float(z[0]), float(z[1])],
                "agreement": AGREEMENT_LABELS[code], "agreement_round": since,
                "bargain": float(self.bargain[-1, k]),
                "decisive": last.get("decisive", []), "blocked_by": last.get("blocked_by", []),
                "linkage": last.get("linkage")}

    def to_dict(self, trajectories: bool = True) -> dict[str, Any]:
        """The ``negsim run --json`` document (round 0 is the input)."""
        issues: dict[str, Any] = {}
        for k, rec in enumerate(self.issue_records()):
            iid = rec["issue"]
            entry: dict[str, Any] = {key: v for key, v in rec.items()
                                     if key not in ("issue", "rounds_run")}
            if trajectories:
                entry["trajectory"] = [
                    {"round": t, "forecast": float(self.forecast_series[t, k]),
                     "median": float(self.median[t, k]), "mean": float(self.mean[t, k]),
                     "dispersion": float(self.dispersion[t, k]),
                     "positions": {self.actor_ids[i]: float(self.positions[t, k, i])
                                   for i in np.flatnonzero(self.active[t, k])}}
                    for t in range(self.rounds_run + 1)
                ]
            issues[iid] = entry
        return {
            "scenario": self.scenario.title,
            "scenario_file": self.scenario.source,
            "model": self.rule,
            "params": self.params,
            "seed": self.seed,
            "settings": self.settings,
            "rounds_run": self.rounds_run,
            "events": [{"round": t, "event": text} for t, text in self.events],
            "issues": issues,
        }

    def summary(self) -> dict[str, Any]:
        """``summary.json``: everything needed to reproduce and interpret the run."""
        doc = self.to_dict(trajectories=False)
        doc["format_version"] = FORMAT_VERSION
        doc["command"] = self.command
        doc["issue_ids"] = self.issue_ids
        doc["actor_ids"] = self.actor_ids
        doc["actor_info"] = list(self.actor_info)
        doc["pair_info"] = list(self.pair_info)
        doc["issue_info"] = list(self.issue_info)
        doc["plenary_ids"] = None if self.plenary is None else self.plenary.ids
        import negsim

        doc["negsim_version"] = negsim.__version__
        return doc

    # -- tables --------------------------------------------------------------------------------
    def issue_table(self) -> "pd.DataFrame":
        import pandas as pd

        T1, m = self.median.shape
        rounds = np.repeat(np.arange(T1), m)
        mm = self.max_move.copy()
        mm[0] = np.nan
        return nullable(pd.DataFrame({
            "round": rounds,
            "issue": np.tile(np.array(self.issue_ids, dtype=object), T1),
            "forecast": self.forecast_series.ravel(),
            "median": self.median.ravel(),
            "mean": self.mean.ravel(),
            "dispersion": self.dispersion.ravel(),
            "max_move": mm.ravel(),
            "actors": self.active.sum(axis=2).ravel(),
            **{name: arr.ravel() for name, arr in self.issue_info.items()},
            **({} if self.agreement is None else {
                "bargain": self.bargain.ravel(),
                "agreement": np.array([AGREEMENT_LABELS[int(c)] for c in self.agreement.ravel()],
                                      dtype=object),
                "zone_low": self.zone[:, :, 0].ravel(), "zone_high": self.zone[:, :, 1].ravel()}),
        }))

    def plenary_table(self) -> "pd.DataFrame | None":
        if self.plenary is None:
            return None
        import pandas as pd

        pl = self.plenary
        t, k, p = np.nonzero(pl.active)
        ids = np.array(pl.ids, dtype=object)
        partner = pl.partner[t, k, p]
        return nullable(pd.DataFrame({
            "round": t, "issue": np.array(self.issue_ids, dtype=object)[k], "party": ids[p],
            "bloc": pl.is_bloc[p], "position": pl.positions[t, k, p],
            "salience": pl.salience[t, k, p], "capability": pl.capability[t, k, p],
            "move": np.array([_KIND_LABELS[int(v)] for v in pl.kind[t, k, p]], dtype=object)
            if t.size else np.array([], dtype=object),
            "partner": np.where(partner >= 0, ids[np.maximum(partner, 0)], None),
            "clamped": pl.clamped[t, k, p]}))

    def actor_table(self) -> "pd.DataFrame":
        import pandas as pd

        t, k, i = np.nonzero(self.active)
        ids = np.array(self.actor_ids, dtype=object)
        partner = self.partner[t, k, i]
        cols: dict[str, Any] = {
            "round": t,
            "issue": np.array(self.issue_ids, dtype=object)[k],
            "actor": ids[i],
            "start": self.start[t, k, i],
            "position": self.positions[t, k, i],
            "salience": self.salience[t, k, i],
            "capability": self.capability[t, k, i],
            "move": np.array([_KIND_LABELS[int(v)] for v in self.kind[t, k, i]], dtype=object)
            if t.size else np.array([], dtype=object),
            "partner": np.where(partner >= 0, ids[np.maximum(partner, 0)], None),
        }
        for name, arr in self.actor_info.items():
            cols[name] = arr[t, k, i]
        return nullable(pd.DataFrame(cols))

    def pair_table(self) -> "pd.DataFrame | None":
        if not self.pair_info:
            return None
        import pandas as pd

        first = next(iter(self.pair_info.values()))
        T1, m, n, _ = first.shape
        pair_active = self.active[:, :, :, None] & self.active[:, :, None, :] \
            & ~np.eye(n, dtype=bool)[None, None]
        t, k, i, j = np.nonzero(pair_active)
        ids = np.array(self.actor_ids, dtype=object)
        cols: dict[str, Any] = {"round": t, "issue": np.array(self.issue_ids, dtype=object)[k],
                                "actor": ids[i], "other": ids[j]}
        for name, arr in self.pair_info.items():
            cols[name] = arr[t, k, i, j]
        return nullable(pd.DataFrame(cols))

    # -- files ---------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the run directory (see module docstring): whole or not at all, replacing an
        older run there (never a directory that is not a negsim output)."""
        return replace_dir(directory, self.write_into)

    def write_into(self, out: Path) -> None:
        """Write the run's files into the (new, empty) directory ``out``."""
        tables = {"issue_rounds": self.issue_table(), "actor_rounds": self.actor_table()}
        for name, df in tables.items():
            write_atomic(out / f"{name}.csv", lambda p, df=df: df.to_csv(p, index=False))
            write_atomic(out / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
        plenary = self.plenary_table()
        if plenary is not None:
            write_atomic(out / "plenary_rounds.csv", lambda p: plenary.to_csv(p, index=False))
            write_atomic(out / "plenary_rounds.parquet",
                         lambda p: plenary.to_parquet(p, index=False))
        pairs = self.pair_table()
        if pairs is not None:
            write_atomic(out / "pairs.parquet", lambda p: pairs.to_parquet(p, index=False))
        write_atomic(out / "scenario.yaml", lambda p: p.write_text(self.scenario.to_yaml()))
        if self.log:
            lines = "".join(json.dumps(rec, allow_nan=False) + "\n" for rec in self.log)
            write_atomic(out / "log.jsonl", lambda p: p.write_text(lines))
        text = json.dumps(self.summary(), indent=2, allow_nan=False)
        write_atomic(out / "summary.json", lambda p: p.write_text(text + "\n"))

    @classmethod
    def load(cls, directory: str | Path) -> "RunResult":
        """Read a run directory written by :meth:`save` back into a RunResult; a missing or
        damaged directory is an :class:`~negsim.errors.InputError` naming what is wrong."""
        d = Path(directory)
        if not (d / "summary.json").is_file():
            what = "no such directory" if not d.exists() else \
                "not a negsim run directory (no summary.json; write one with negsim run --out)"
            raise InputError([Problem(str(d), "", what)])
        try:
            return cls._load(d)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any damage becomes one clear message
            raise InputError([Problem(str(d), "", "damaged run directory: "
                                      f"{type(exc).__name__}: {str(exc)[:200]}")]) from None

    @classmethod
    def _load(cls, d: Path) -> "RunResult":
        import pandas as pd

        from .scenario import load_scenario

        summary = json.loads((d / "summary.json").read_text())
        scenario = load_scenario(d / "scenario.yaml")
        issue_ids, actor_ids = summary["issue_ids"], summary["actor_ids"]
        T1, m, n = summary["rounds_run"] + 1, len(issue_ids), len(actor_ids)
        kidx = {iid: k for k, iid in enumerate(issue_ids)}
        aidx = {aid: i for i, aid in enumerate(actor_ids)}
        it = pd.read_parquet(d / "issue_rounds.parquet")
        ik = it["issue"].map(kidx).to_numpy()
        ir = it["round"].to_numpy()

        def per_issue(col: str, fill: float = 0.0) -> np.ndarray:
            arr = np.full((T1, m), fill)
            arr[ir, ik] = it[col].astype(float).fillna(fill).to_numpy()
            return arr

        at = pd.read_parquet(d / "actor_rounds.parquet")
        t = at["round"].to_numpy()
        k = at["issue"].map(kidx).to_numpy()
        i = at["actor"].map(aidx).to_numpy()

        def per_actor(col: str, fill: float = np.nan) -> np.ndarray:
            arr = np.full((T1, m, n), fill)
            arr[t, k, i] = at[col].astype(float).fillna(fill).to_numpy()
            return arr

        active = np.zeros((T1, m, n), dtype=bool)
        active[t, k, i] = True
        labels = {v: kk for kk, v in _KIND_LABELS.items()}
        kind = np.full((T1, m, n), int(MoveKind.INACTIVE), dtype=np.int8)
        kind[t, k, i] = at["move"].map(labels).to_numpy()
        partner = np.full((T1, m, n), -1, dtype=np.int32)
        pmask = at["partner"].notna().to_numpy()
        partner[t[pmask], k[pmask], i[pmask]] = at.loc[pmask, "partner"].map(aidx).to_numpy()
        pair_info: dict[str, np.ndarray] = {}
        if (d / "pairs.parquet").exists():
            pt = pd.read_parquet(d / "pairs.parquet")
            pidx = (pt["round"].to_numpy(), pt["issue"].map(kidx).to_numpy(),
                    pt["actor"].map(aidx).to_numpy(), pt["other"].map(aidx).to_numpy())
            for name in summary.get("pair_info", []):
                arr = np.full((T1, m, n, n), np.nan)
                arr[pidx] = pt[name].astype(float).to_numpy(na_value=np.nan)
                pair_info[name] = arr
        max_move = per_issue("max_move", np.inf)
        statuses = [IssueStatus(summary["issues"][iid]["status"],
                                summary["issues"][iid]["converged_round"],
                                summary["issues"][iid].get("detail") or "",
                                summary["issues"][iid].get("cycle_start")) for iid in issue_ids]
        return cls(
            scenario=scenario, rule=summary["model"], params=summary["params"],
            seed=summary["seed"], settings=summary["settings"], issue_ids=issue_ids,
            actor_ids=actor_ids, positions=np.nan_to_num(per_actor("position"), nan=0.0),
            start=np.nan_to_num(per_actor("start"), nan=0.0),
            active=active, salience=np.nan_to_num(per_actor("salience"), nan=0.0),
            capability=np.nan_to_num(per_actor("capability"), nan=0.0), kind=kind,
            partner=partner, median=per_issue("median"), mean=per_issue("mean"),
            dispersion=per_issue("dispersion"), max_move=max_move, statuses=statuses,
            forecast_series=per_issue("forecast") if "forecast" in it.columns
            else per_issue("median"),
            issue_info={name: per_issue(name, np.nan) for name in summary.get("issue_info", [])},
            actor_info={name: per_actor(name) for name in summary.get("actor_info", [])},
            pair_info=pair_info,
            events=[(e["round"], e["event"]) for e in summary.get("events", [])],
            command=summary.get("command"),
            log=[json.loads(line) for line in (d / "log.jsonl").read_text().splitlines()
                 if line.strip()] if (d / "log.jsonl").exists() else [],
            **_load_institutions(d, it, per_issue, summary, T1, m, kidx),
        )


def _load_institutions(d: Path, it: "pd.DataFrame", per_issue: Any, summary: dict[str, Any],
                       T1: int, m: int, kidx: dict[str, int]) -> dict[str, Any]:
    """The institutional part of a stored run (agreement, zone, bargain, plenary)."""
    import pandas as pd

    out: dict[str, Any] = {}
    if "agreement" in it.columns:
        codes = np.zeros((T1, m), dtype=np.int8)
        codes[it["round"].to_numpy(), it["issue"].map(kidx).to_numpy()] = \
            it["agreement"].map(lambda v: AGREEMENT_CODES.get(v, 0)).to_numpy()
        zone = np.stack([per_issue("zone_low", np.nan), per_issue("zone_high", np.nan)], axis=-1)
        out.update(agreement=codes, zone=zone, bargain=per_issue("bargain", np.nan))
    ids = summary.get("plenary_ids")
    if ids and (d / "plenary_rounds.parquet").exists():
        pt = pd.read_parquet(d / "plenary_rounds.parquet")
        pidx = {p: n for n, p in enumerate(ids)}
        is_bloc = np.zeros(len(ids), dtype=bool)
        first = pt.drop_duplicates("party")
        is_bloc[first["party"].map(pidx).to_numpy()] = first["bloc"].astype(bool).to_numpy()
        pl = PlenaryRecords.empty(ids, is_bloc, np.full(len(ids), -1), m, T1)
        t, k, p = (pt["round"].to_numpy(), pt["issue"].map(kidx).to_numpy(),
                   pt["party"].map(pidx).to_numpy())
        pl.positions[t, k, p] = pt["position"].astype(float).to_numpy()
        pl.salience[t, k, p] = pt["salience"].astype(float).to_numpy()
        pl.capability[t, k, p] = pt["capability"].astype(float).to_numpy()
        pl.active[t, k, p] = True
        labels = {v: kk for kk, v in _KIND_LABELS.items()}
        pl.kind[t, k, p] = pt["move"].map(labels).to_numpy()
        has = pt["partner"].notna().to_numpy()
        pl.partner[t[has], k[has], p[has]] = pt.loc[has, "partner"].map(pidx).to_numpy()
        pl.clamped[t, k, p] = pt["clamped"].astype(bool).to_numpy()
        out["plenary"] = pl
    return out

