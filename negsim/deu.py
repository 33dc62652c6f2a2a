"""The DEU data (Decision-making in the European Union): reading the published layout and turning
each controversial issue into a negsim scenario.

The layout (``docs/backtest.md`` has the full reading): one row per issue, tab- or
semicolon-separated (commas are accepted too), a header naming the columns; leading columns
describe the proposal and the issue (``isnr`` the issue id, ``proc`` the legislative procedure,
``counvte`` the Council voting rule, ``intro``/``finact`` the dates of the proposal and of the
final act), then a position column ``p<actor>`` and a salience column ``s<actor>`` per actor,
and at the end ``rp`` (reference point, the status quo) and ``out`` (the outcome). All numbers are
on 0-100. A copy redistributed with GDP figures has a second line holding one GDP figure per
actor column and nothing in the leading columns.

Missing values: a blank position means the actor took no part in the issue; 999, or any other
number off 0-100, is missing data. Either way the actor is absent from the issue (which is not
the same as salience 0). A position without a salience is missing data too (``missing_salience``
chooses between leaving the actor out, the default, and reading salience 0).

Malformed input (a cell that is not a number where one is needed, a row with the wrong number of
fields, an unreadable date, a duplicate issue id) is reported as :class:`~negsim.errors.Problem`
objects naming file, line, field and value, all at once. Issues that cannot be scored (no valid
outcome, fewer than three actors) are kept in the record, skipped by :meth:`DeuData.scorable` and
counted by :meth:`DeuData.counts`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import InputError, Problem

__all__ = [
    "DATA_DIR", "DEFAULT_FILE", "WEIGHTS_FILE", "ACTORS", "INSTITUTIONS", "PROCEDURES",
    "VOTING_RULES", "REGIMES", "DeuIssue", "DeuData", "Capabilities", "read_deu", "parse_date",
    "council_regime", "DEU_CITATION",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "deu"
DEFAULT_FILE = DATA_DIR / "deu3_with_gdp.tsv"
WEIGHTS_FILE = DATA_DIR / "council_weights.csv"

DEU_CITATION = ("Arregui, J. & Perarnaud, C. (2021). DEU III dataset, doi:10.34810/data53 (CC BY "
                "4.0); Arregui & Perarnaud (2022), J. European Public Policy 29(1). Includes DEU I "
                "(Thomson, Stokman, Achen & Koenig eds., The European Union Decides, CUP 2006) "
                "and DEU II (Thomson et al. 2012, J. European Public Policy 19(4)).")

#: Actor code in the DEU columns -> (name, ISO 3166 code used by the Council weights table;
#: None for the two institutions).
ACTORS: dict[str, tuple[str, str | None]] = {
    "com": ("European Commission", None), "ep": ("European Parliament", None),
    "at": ("Austria", "AT"), "be": ("Belgium", "BE"), "bu": ("Bulgaria", "BG"),
    "cr": ("Croatia", "HR"), "cy": ("Cyprus", "CY"), "cz": ("Czech Republic", "CZ"),
    "dk": ("Denmark", "DK"), "ee": ("Estonia", "EE"), "fi": ("Finland", "FI"),
    "fr": ("France", "FR"), "de": ("Germany", "DE"), "el": ("Greece", "EL"),
    "hu": ("Hungary", "HU"), "ie": ("Ireland", "IE"), "it": ("Italy", "IT"),
    "lv": ("Latvia", "LV"), "lt": ("Lithuania", "LT"), "lu": ("Luxembourg", "LU"),
    "mt": ("Malta", "MT"), "nl": ("Netherlands", "NL"), "pl": ("Poland", "PL"),
    "pt": ("Portugal", "PT"), "ro": ("Romania", "RO"), "si": ("Slovenia", "SI"),
    "sk": ("Slovakia", "SK"), "es": ("Spain", "ES"), "se": ("Sweden", "SE"),
    "uk": ("United Kingdom", "UK"),
}
INSTITUTIONS = ("com", "ep")

#: ``proc`` codes: the legislative procedure.
PROCEDURES = {
    "COD": "codecision (ordinary legislative procedure): Council and Parliament co-legislate",
    "CNS": "consultation: the Council decides, the Parliament gives an opinion",
}
#: ``counvte`` codes -> the voting rule negsim reports (the raw code is kept as ``vote_code``).
#: ``QMV(10)`` (two CNS issues of one proposal) is read as qualified majority.
VOTING_RULES = {"QMV": "QMV", "QMV(10)": "QMV", "UNAN": "unanimity", "UNANIMITY": "unanimity"}

#: Council voting-weight regimes: (name, first day, column of council_weights.csv). Each applies
#: from its first day to the day before the next one's. Under Lisbon (from 1 November 2014) the
#: capability is the population share of the double majority (2016 figures); the Nice weights a
#: member could still ask for until 31 March 2017 are not used.
REGIMES: tuple[tuple[str, _dt.date, str], ...] = (
    ("EU-15", _dt.date(1995, 1, 1), "eu15_1995-01_2004-04"),
    ("EU-25 transitional", _dt.date(2004, 5, 1), "eu25_transition_2004-05_2004-10"),
    ("Nice EU-25", _dt.date(2004, 11, 1), "nice_eu25_2004-11_2006-12"),
    ("Nice EU-27", _dt.date(2007, 1, 1), "nice_eu27_2007-01_2013-06"),
    ("Nice EU-28", _dt.date(2013, 7, 1), "nice_eu28_2013-07_2014-10"),
    ("Lisbon", _dt.date(2014, 11, 1), "lisbon_pop_share_2016_pct"),
)

#: Leading columns: required ones must be present; the others are read when they are.
REQUIRED_COLUMNS = ("isnr", "proc", "counvte", "rp", "out")
OPTIONAL_COLUMNS = ("prnrnmc", "isnrnmc", "prnr", "prname", "type", "council", "proccde",
                    "issues", "intro", "finact")

#: Why an issue is not scored (keys of :meth:`DeuData.counts` ``skipped``).
SKIP_REASONS = {
    "no_outcome": "no valid outcome (blank, 999 or off 0-100)",
    "few_actors": "fewer than three actors with a position and a salience",
    "no_council_weights": "no Council weights for the decision date (no date, or before 1995)",
    "no_weight": "every participant has capability 0 or salience 0",
}


# ------------------------------------------------------------------------------------------
# records

@dataclass(frozen=True)
class DeuIssue:
    """One row of the DEU file: a controversial issue of a legislative proposal."""

    id: str                      #: ``isnr``, e.g. ``d00032i1``
    line: int                    #: line of the row in the file (1-based)
    proposal: str                #: ``prnr``
    title: str                   #: ``prname``, a short name of the proposal
    instrument: str              #: ``type``: Reg, Dir, Dec
    council: str                 #: Council formation
    procedure: str               #: ``proc``: COD or CNS (upper-cased; "unknown" if blank)
    voting_rule: str             #: "QMV" or "unanimity" (or the raw code if unknown)
    vote_code: str               #: ``counvte`` as written
    procedure_code: str          #: ``proccde`` as written (see docs/backtest.md)
    introduced: _dt.date | None  #: ``intro``
    adopted: _dt.date | None     #: ``finact``
    reference_point: float | None  #: ``rp`` when on 0-100
    outcome: float | None        #: ``out`` when on 0-100
    #: actor code -> (position, salience), both on 0-100, for the actors that take part
    stances: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: actors whose stance is missing data (999 / off the scale / position without salience)
    missing: tuple[str, ...] = ()

    @property
    def decision_date(self) -> _dt.date | None:
        """The date of the final act, else of the proposal (used to pick Council weights)."""
        return self.adopted or self.introduced

    @property
    def skip_reason(self) -> str | None:
        """Why the issue cannot be scored whatever the capabilities, or None."""
        if self.outcome is None:
            return "no_outcome"
        if len(self.stances) < 3:
            return "few_actors"
        return None


@dataclass(frozen=True)
class Capabilities:
    """Where actors' capabilities come from.

    ``source``: ``"gdp"`` (the file's GDP line), ``"council"`` (Council voting weights of the
    regime in force on the decision date; population shares under Lisbon) or ``"equal"``.
    ``com`` / ``ep``: the Commission's / Parliament's capability as a multiple of the largest
    member state's, either one number or a mapping from procedure (``COD``, ``CNS``) to a number;
    None (or a procedure missing from the mapping) keeps the source's own value: the file's
    figure under ``gdp``, the largest member state's (multiple 1) otherwise.
    """

    source: Literal["gdp", "council", "equal"] = "gdp"
    com: float | Mapping[str, float] | None = None
    ep: float | Mapping[str, float] | None = None

    def share(self, actor: str, procedure: str) -> float | None:
        value = self.com if actor == "com" else self.ep if actor == "ep" else None
        if isinstance(value, Mapping):
            got = value.get(procedure.upper())
            return None if got is None else float(got)
        return None if value is None else float(value)

    def describe(self) -> str:
        base = {"gdp": "the file's GDP line", "council": "Council voting weights of the regime "
                "in force on the decision date (population shares under Lisbon)",
                "equal": "equal capabilities (salience-only weights)"}[self.source]
        parts = []
        for who, value in (("Commission", self.com), ("Parliament", self.ep)):
            if value is None:
                continue
            if isinstance(value, Mapping):
                text = ", ".join(f"{k} {v:g}" for k, v in value.items())
            else:
                text = f"{float(value):g}"
            parts.append(f"{who} x largest member state: {text}")
        return base + ("; " + "; ".join(parts) if parts else "")

    def to_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return dict(v) if isinstance(v, Mapping) else v
        return {"source": self.source, "com": plain(self.com), "ep": plain(self.ep)}


# ------------------------------------------------------------------------------------------
# dates

_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _century(yy: int) -> int:
    return 2000 + yy if yy < 50 else 1900 + yy


def parse_date(text: str, spreadsheet_dates: bool = True) -> _dt.date | None:
    """Read a DEU date; None for blank or 999. Raises ValueError if unreadable.

    DEU writes ``DD-MM-YY`` (some DEU III rows ``DD-MM-YYYY``). A ``YYYY-MM-DD`` cell is read as
    a ``DD-MM-YY`` date that a spreadsheet re-read as ``YY-MM-DD`` (``1930-05-01`` is 30 May
    2001) when ``spreadsheet_dates`` is true and that reading exists (the year's last two digits
    are a day); otherwise as an ISO date.
    """
    text = text.strip()
    if not text or text == "999":
        return None
    m = _DMY.match(text)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year = _century(year)
        return _dt.date(year, month, day)
    m = _YMD.match(text)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if spreadsheet_dates and 1 <= year % 100 <= 31:
            try:
                return _dt.date(_century(day), month, year % 100)
            except ValueError:
                pass
        return _dt.date(year, month, day)
    raise ValueError(text)


def council_regime(day: _dt.date | None) -> tuple[str, str] | None:
    """(regime name, weights column) in force on ``day``; None before 1995 or without a date."""
    if day is None or day < REGIMES[0][1]:
        return None
    found = REGIMES[0]
    for regime in REGIMES:
        if day >= regime[1]:
            found = regime
    return found[0], found[2]


#: Qualified-majority thresholds by regime (../shared/reference/deu/council_thresholds.csv):
#: (share of the weighted votes needed, share of the members needed). Lisbon: 65% of the
#: population (the weights are population shares) and 55% of the members.
QMV_THRESHOLDS = {"EU-15": (62 / 87, None), "EU-25 transitional": (88 / 124, None),
                  "Nice EU-25": (232 / 321, None), "Nice EU-27": (255 / 345, None),
                  "Nice EU-28": (260 / 352, None), "Lisbon": (0.65, 0.55)}


def council_weights() -> dict[str, dict[str, float]]:
    """weights column -> ISO code -> weight (members only) from the shipped table."""
    out: dict[str, dict[str, float]] = {col: {} for _, _, col in REGIMES}
    with open(WEIGHTS_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            iso = (row.get("iso2") or "").strip()
            if not iso:
                continue
            for col in out:
                cell = (row.get(col) or "").strip()
                if cell:
                    out[col][iso] = float(cell)
    return out


# ------------------------------------------------------------------------------------------
# the file

@dataclass
class DeuData:
    """A DEU file read into issue records, with what was found missing or skipped."""

    file: str
    actors: list[str]                    #: actor codes, in column order
    gdp: dict[str, float] | None         #: the GDP line, if the file has one
    issues: list[DeuIssue]               #: every issue row, in file order
    stance_counts: dict[str, int] = field(default_factory=dict)
    missing_salience: str = "absent"

    # -- selection -------------------------------------------------------------------------
    def issue(self, issue_id: str) -> DeuIssue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(issue_id)

    def scorable(self) -> list[DeuIssue]:
        """Issues with a valid outcome and at least three actors, in file order."""
        return [i for i in self.issues if i.skip_reason is None]

    def counts(self) -> dict[str, Any]:
        """How many issues there are, can be scored, and why the others cannot."""
        reasons = Counter(i.skip_reason for i in self.issues if i.skip_reason)
        return {
            "issues": len(self.issues),
            "with_outcome": sum(i.outcome is not None for i in self.issues),
            "scorable": len(self.scorable()),
            "skipped": {k: reasons.get(k, 0) for k in ("no_outcome", "few_actors")},
            "stances": dict(self.stance_counts),
        }

    # -- capabilities ----------------------------------------------------------------------
    def capabilities(self, issue: DeuIssue, options: Capabilities,
                     _weights: dict[str, dict[str, float]] | None = None
                     ) -> dict[str, float] | None:
        """Capability of every actor taking part in ``issue``; None when the source has none
        for the issue (Council weights without a decision date, or before 1995)."""
        members = [a for a in self.actors if a not in INSTITUTIONS]
        if options.source == "gdp":
            if self.gdp is None:
                raise InputError([self._no_gdp_line()])
            base = dict(self.gdp)
        elif options.source == "council":
            regime = council_regime(issue.decision_date)
            if regime is None:
                return None
            table = (_weights or council_weights())[regime[1]]
            base = {a: table.get(ACTORS.get(a, (a, None))[1] or "", 0.0) for a in members}
            # the largest member state of the regime, whether or not the file has its column
            base[""] = max(table.values())
        elif options.source == "equal":
            base = {a: 1.0 for a in self.actors}
        else:  # pragma: no cover - guarded by the command line and by Capabilities' type
            raise ValueError(options.source)
        largest = max([base.get(a, 0.0) for a in members] + [base.get("", 0.0)], default=1.0)
        caps: dict[str, float] = {}
        for actor in issue.stances:
            share = options.share(actor, issue.procedure) if actor in INSTITUTIONS else None
            if share is not None:
                caps[actor] = share * largest
            elif actor in INSTITUTIONS and options.source != "gdp":
                caps[actor] = largest
            else:
                caps[actor] = base.get(actor, 0.0)
        return caps

    def check_capabilities(self, options: Capabilities) -> None:
        """Raise :class:`InputError` if the source lacks a figure an actor needs (a GDP line
        without a figure for an actor that takes part somewhere)."""
        if options.source != "gdp":
            return
        if self.gdp is None:
            raise InputError([self._no_gdp_line()])
        needed = sorted({a for i in self.scorable() for a in i.stances} - set(self.gdp or {}),
                        key=self.actors.index)
        if needed:
            raise InputError([Problem(self.file, f"p{a}", "the GDP line has no figure for this "
                                      "actor, which takes part in scorable issues", line=2)
                              for a in needed])

    # -- scenarios -------------------------------------------------------------------------
    def decision(self, issue: DeuIssue, members: list[str],
                 _weights: dict[str, dict[str, float]] | None = None) -> tuple[dict, dict]:
        """(bloc, decision) documents for the issue's procedure (the procedural models of
        Steunenberg & Selck 2006; docs/institutions.md):

        * the Council is a bloc of the member states taking part, deciding by unanimity, or
          by a qualified majority with the regime's votes and threshold (Lisbon: population
          shares, 65% of it and 55% of the members); members without a position are left
          out of the count (a judgment: the DEU codes no stance for them);
        * consultation (CNS): the Council decides alone; the Commission sets the agenda and
          can be amended only by unanimity;
        * codecision (COD): the Council and the Parliament must both agree, with no agenda
          setter (conciliation: the procedural rule then takes the parties' compromise held
          to their joint win-set).
        """
        regime = council_regime(issue.decision_date)
        council: dict[str, Any] = {"name": "Council", "members": members}
        if issue.voting_rule == "QMV" and regime is not None:
            table = (_weights or council_weights())[regime[1]]
            votes = {a: table.get(ACTORS.get(a, (a, None))[1] or "", 0.0) for a in members}
            if sum(votes.values()) > 0 and len(members) > 1:
                share, min_share = QMV_THRESHOLDS[regime[0]]
                council.update(rule="qmv", weights=votes, threshold=share)
                if min_share is not None:
                    council["min_share"] = min_share
            else:
                council["rule"] = "unanimity"
        else:
            council["rule"] = "unanimity"
        if issue.procedure == "COD" and "ep" in issue.stances:
            decision: dict[str, Any] = {"rule": "unanimity", "parties": ["council", "ep"]}
        else:
            decision = {"rule": "unanimity", "parties": ["council"]}
            if "com" in issue.stances:
                decision.update(agenda_setter="com", amendment="unanimity")
        return council, decision

    def scenario_document(self, issue: DeuIssue | list[DeuIssue],
                          options: Capabilities = Capabilities(), *, rule: str = "eum",
                          rounds: int = 10, stop: str = "never", seed: int = 0,
                          caps: dict[str, float] | list[dict[str, float]] | None = None,
                          procedures: bool = True) -> dict[str, Any]:
        """One issue, or the issues of one proposal, as a scenario document in the YAML
        layout (saliences on 0-100).

        Only the actors taking part appear; outcomes are in the notes, not in the model. An
        actor's capability can differ between the issues (Council weights by date):
        ``capability_by_issue`` then holds it. With ``procedures``, each issue's reference
        point is its status quo and its procedure its decision (:meth:`decision`); the
        document keeps ``model.institutions: off`` so that only rules that read institutions
        themselves (the procedural rule) use them and every other rule runs as before.
        """
        issues = issue if isinstance(issue, list) else [issue]
        capmaps = caps if isinstance(caps, list) else [caps] if caps is not None else \
            [self.capabilities(i, options) for i in issues]
        for i, cm in zip(issues, capmaps):
            if cm is None:
                raise ValueError(f"{i.id}: {SKIP_REASONS['no_council_weights']}")
        first = issues[0]
        where = ", ".join(x for x in (first.instrument, f"{first.council} Council"
                                      if first.council else "") if x)
        proc = PROCEDURES.get(first.procedure, first.procedure)
        regime = council_regime(first.decision_date) if options.source == "council" else None
        def each(value) -> str:
            return "; ".join((f"{i.id} " if len(issues) > 1 else "") + _fmt(value(i))
                             for i in issues)

        notes = [f"Outcome recorded in the DEU data: {each(lambda i: i.outcome)} "
                 "(not used by the model)."]
        notes.append(f"Reference point: {each(lambda i: i.reference_point)}.")
        notes.append("Capability: " + options.describe()
                     + (f" ({regime[0]})" if regime else "") + ".")
        missing = list(dict.fromkeys(m for i in issues for m in i.missing))
        if missing:
            notes.append("Left out as missing data: " + ", ".join(missing) + ".")
        issue_docs: dict[str, Any] = {}
        actors: dict[str, Any] = {}
        for i, cm in zip(issues, capmaps):
            part = i.id.rsplit("i", 1)[-1] if "i" in i.id else ""
            name = f"{i.title}, issue {part}" if i.title and part else i.title or i.id
            doc: dict[str, Any] = {"name": name, "short": i.id, "scale": {"low": 0, "high": 100}}
            if i.reference_point is not None:
                doc["status_quo"] = i.reference_point
            for actor in sorted(i.stances, key=self._order):
                pos, sal = i.stances[actor]
                name_, iso = ACTORS.get(actor, (actor, "?"))
                entry = actors.setdefault(actor, {
                    "name": name_, "bloc": "EU institution" if iso is None else "member state",
                    "capability": float(cm[actor]), "issues": {}})
                if float(cm[actor]) != entry["capability"]:
                    entry.setdefault("capability_by_issue", {})[i.id] = float(cm[actor])
                entry["issues"][i.id] = {"position": pos, "salience": sal}
            if procedures:
                # the DEU never varies procedure, voting rule or date within a proposal, so
                # one Council bloc (every member state taking part anywhere) serves all
                decision = self.decision(i, [])[1]
                doc["decision"] = decision
            issue_docs[i.id] = doc
        # actors in the file's column order, as in one-issue documents, so that every issue
        # sees its participants in the same order (rules break exact ties by that order)
        actors = {a: actors[a] for a in sorted(actors, key=self._order)}
        title = issues[0].title or issues[0].id
        head = f"DEU {first.id}: {issue_docs[first.id]['name']}" if len(issues) == 1 else \
            f"DEU proposal {first.proposal}: {title} ({len(issues)} issues)"
        out = {
            "metadata": {
                "title": head,
                **({"date": first.adopted.isoformat()} if first.adopted else {}),
                "description": f"Proposal {first.proposal or '?'} ({where}); {proc}; Council "
                               f"voting rule {first.voting_rule}. Positions and saliences on "
                               "0-100 as coded by the DEU experts.",
                "sources": [{"key": "DEU", "citation": DEU_CITATION,
                             "url": "https://doi.org/10.34810/data53"}],
                "notes": " ".join(notes),
            },
            "salience_scale": "percent",
            "issues": issue_docs,
            "actors": actors,
            "model": {"rule": rule, "max_rounds": int(rounds), "stop": stop, "seed": int(seed),
                      **({"institutions": "off"} if procedures else {})},
        }
        if procedures:
            members = sorted({a for i in issues for a in i.stances if a not in INSTITUTIONS},
                             key=self._order)
            if members:
                out["blocs"] = {"council": self.decision(first, members)[0]}
            else:   # no member state takes part: nothing for a Council to decide
                for doc in issue_docs.values():
                    doc.pop("decision", None)
        return out

    def scenario(self, issue: "DeuIssue | list[DeuIssue]", options: Capabilities = Capabilities(),
                 **kw: Any):
        """The issue (or a proposal's issues) as a validated
        :class:`~negsim.scenario.Scenario` (see :meth:`scenario_document`)."""
        from .scenario import scenario_from_dict

        first = issue[0] if isinstance(issue, list) else issue
        return scenario_from_dict(self.scenario_document(issue, options, **kw),
                                  name=f"{self.file}:{first.line}")

    def _no_gdp_line(self) -> Problem:
        return Problem(self.file, "", "this file has no GDP line (the line after the header); "
                       "use capability council or equal", line=2)

    def _order(self, actor: str) -> int:
        return self.actors.index(actor) if actor in self.actors else len(self.actors)


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


# ------------------------------------------------------------------------------------------
# reading

def _delimiter(header: str) -> str:
    for sep in ("\t", ";", ","):
        if sep in header:
            return sep
    return "\t"


def read_deu(path: str | Path | None = None, *,
             missing_salience: Literal["absent", "zero"] = "absent",
             spreadsheet_dates: bool = True) -> DeuData:
    """Read a DEU file (default: the shipped copy) into a :class:`DeuData`.

    ``missing_salience``: what a position without a salience means: ``"absent"`` (missing data;
    the actor is left out of the issue, the default) or ``"zero"`` (present with salience 0).
    Raises :class:`~negsim.errors.InputError` listing every malformed cell.
    """
    file = Path(path) if path is not None else DEFAULT_FILE
    name = str(path) if path is not None else str(DEFAULT_FILE)
    if missing_salience not in ("absent", "zero"):
        raise InputError([Problem("--missing-salience", "", "must be absent or zero",
                                  missing_salience)])
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InputError([Problem(name, "", f"cannot read the file ({exc.strerror or exc})")]) \
            from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise InputError([Problem(name, "", "the file is empty or its first line (the header) "
                                  "is blank", line=1)])
    sep = _delimiter(first)
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"')
    header = [c.strip().strip('"').strip().lower() for c in next(reader)]
    problems: list[Problem] = []
    col = {c: k for k, c in reversed(list(enumerate(header)))}
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in col]
    dupes = sorted({c for c in header if c and header.count(c) > 1})
    for c in dupes:
        problems.append(Problem(name, c, "column appears more than once in the header", line=1))
    leading = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    actors = [c[1:] for c in header if len(c) > 1 and c[0] == "p" and c not in leading
              and "s" + c[1:] in col]
    for c in missing_cols:
        problems.append(Problem(name, c, "required column is missing from the header "
                                "(see docs/backtest.md for the layout)", line=1))
    if not actors:
        problems.append(Problem(name, "", "no actor columns found (expected pairs p<actor>, "
                                "s<actor>, e.g. pfr and sfr)", line=1))
    if problems:
        raise InputError(problems)

    decimal_comma = sep == ";"

    def number(cell: str) -> float | None | str:
        """None for blank; a float; or the text itself if it is not a number."""
        cell = cell.strip()
        if not cell:
            return None
        try:
            value = float(cell.replace(",", ".") if decimal_comma else cell)
        except ValueError:
            return cell
        return value if math.isfinite(value) else cell

    gdp: dict[str, float] | None = None
    issues: list[DeuIssue] = []
    seen: dict[str, int] = {}
    tally: Counter[str] = Counter()
    first_row = True
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(name, "", f"row has {len(row)} fields but the header has "
                                    f"{len(header)}", line=line))
            first_row = False
            continue
        cells = {c: row[k] for c, k in col.items()}
        issue_id = cells["isnr"].strip()
        if first_row and not issue_id:
            first_row = False
            gdp = {}
            for a in actors:
                v = number(cells["p" + a])
                if isinstance(v, str) or (isinstance(v, float) and v < 0):
                    problems.append(Problem(name, f"p{a}", "GDP figure must be a number >= 0",
                                            v, line))
                elif v is not None:
                    gdp[a] = v
            continue
        first_row = False
        if not issue_id:
            problems.append(Problem(name, "isnr", "issue id is missing", line=line))
            continue
        if issue_id in seen:
            problems.append(Problem(name, f"{issue_id}.isnr", "duplicate issue id (first on line "
                                    f"{seen[issue_id]})", issue_id, line))
            continue
        seen[issue_id] = line

        def value01(column: str) -> tuple[float | None, bool]:
            """(value on 0-100 or None, whether a number was there but off the scale)."""
            v = number(cells[column])
            if isinstance(v, str):
                problems.append(Problem(name, f"{issue_id}.{column}", "must be a number "
                                        "(blank: not involved; 999: missing)", v, line))
                return None, False
            if v is None:
                return None, False
            if 0.0 <= v <= 100.0:
                return v, False
            return None, True

        stances: dict[str, tuple[float, float]] = {}
        missing: list[str] = []
        for a in actors:
            pos, pos_off = value01("p" + a)
            sal, sal_off = value01("s" + a)
            if pos is None:
                if pos_off:
                    tally["missing_position"] += 1
                    missing.append(a)
                continue
            if sal is None:
                if missing_salience == "zero":
                    tally["salience_read_as_zero"] += 1
                    stances[a] = (pos, 0.0)
                    continue
                tally["missing_salience"] += 1
                missing.append(a)
                continue
            stances[a] = (pos, sal)
            tally["taking_part"] += 1
        rp, _ = value01("rp")
        out, _ = value01("out")

        def date(column: str) -> _dt.date | None:
            if column not in cells:
                return None
            try:
                return parse_date(cells[column], spreadsheet_dates)
            except ValueError:
                problems.append(Problem(name, f"{issue_id}.{column}", "not a date (expected "
                                        "DD-MM-YY; blank or 999 when unknown)",
                                        cells[column].strip(), line))
                return None

        introduced, adopted = date("intro"), date("finact")
        proc = cells["proc"].strip().upper() or "unknown"
        vote = cells["counvte"].strip()
        issues.append(DeuIssue(
            id=issue_id, line=line, proposal=cells.get("prnr", "").strip(),
            title=cells.get("prname", "").strip(), instrument=cells.get("type", "").strip(),
            council=cells.get("council", "").strip(), procedure=proc,
            voting_rule=VOTING_RULES.get(vote.upper(), vote or "unknown"), vote_code=vote,
            procedure_code=cells.get("proccde", "").strip(), introduced=introduced,
            adopted=adopted, reference_point=rp, outcome=out, stances=stances,
            missing=tuple(missing)))
    if problems:
        raise InputError(problems)
    if not issues:
        raise InputError([Problem(name, "", "no issue rows found after the header")])
    counts = {k: tally.get(k, 0) for k in ("taking_part", "missing_position", "missing_salience",
                                            "salience_read_as_zero")}
    return DeuData(file=name, actors=actors, gdp=gdp, issues=issues, stance_counts=counts,
                   missing_salience=missing_salience)
