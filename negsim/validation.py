"""Validation of scenario documents: every problem at once, one :class:`Problem` each.

A document (plain data read by :mod:`negsim.readers`, with the line of every value) is checked
section by section, so that one bad actor does not hide another: field checks by pydantic per
section and per item, then cross-checks (unknown ids, positions off an issue's scale, saliences
out of range, too few actors, events, institutions, the rule and its parameters). Each section is
one function taking the shared :class:`_Check` state; :func:`validate` runs them in order and
either builds the :class:`~negsim.scenario.Scenario` (saliences normalised to 0-1) or raises one
:class:`~negsim.errors.InputError` with everything found, sorted by line.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from .readers import Document, PathT
from .errors import InputError, Problem
from .scenario import (TOP_LEVEL, MAX_ROUNDS, ActorSpec, BlocSpec, DecisionSpec, EventSpec,
                       IssueSpec, LinkageSpec, Metadata, ModelSpec, Scenario, StanceSpec)

__all__ = ["validate"]

_FRIENDLY = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (check the spelling; see docs/scenario-format.md)",
    "finite_number": "must be a finite number (NaN and infinity are not allowed)",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "must be a whole number (this one has too many digits)",
    "string_type": "must be text",
    "dict_type": "must be a mapping (key: value lines)",
    "list_type": "must be a list",
    "model_type": "must be a mapping (key: value lines)",
    "literal_error": None,   # pydantic's own text names the allowed values
}
#: union branch names pydantic puts into error locations
_BRANCHES = ("Source", "str", "float", "int", "function-after", "function-before",
             "literal['equal','capability']", "dict[str,function-after[_within(), "
             "function-before[_not_bool(), float]]]", "DecisionSpec", "ConditionSpec")


@dataclass
class _Check:
    """What the sections share: the document, the problems so far and what validated."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)
    meta: Metadata | None = None
    declared: str = "auto"
    issues_raw: dict[str, Any] | None = None
    issues: dict[str, IssueSpec] = field(default_factory=dict)
    actors_raw: dict[str, Any] | None = None
    actors: dict[str, ActorSpec] = field(default_factory=dict)
    stances: dict[str, dict[str, StanceSpec]] = field(default_factory=dict)
    model: ModelSpec = field(default_factory=ModelSpec)
    events: list[tuple[int, EventSpec]] = field(default_factory=list)
    blocs: dict[str, BlocSpec] = field(default_factory=dict)
    decision: DecisionSpec | None = None
    linkage: list[tuple[int, LinkageSpec]] = field(default_factory=list)
    unit: float = 1.0
    sal_note: str = "0-1"

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    def add(self, path: PathT, message: str, *value: Any) -> None:
        self.problems.append(self.doc.problem(path, message, *value))

    def known_issue(self, iid: Any) -> bool:
        return iid in self.issues or (self.issues_raw is not None and iid in self.issues_raw)


def _pydantic_problems(doc: Document, prefix: PathT, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(str(p) if not isinstance(p, int) else p for p in err["loc"])
        # Unions report one error per branch; keep the location, drop the branch names.
        loc = tuple(p for p in loc if p not in _BRANCHES and not str(p).startswith(
            ("function-", "literal[", "dict[")))
        message = _FRIENDLY.get(err["type"]) or err["msg"]
        if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than",
                           "literal_error"):
            message = err["msg"].replace("Input should be", "must be")
        if err["type"] == "missing":
            out.append(doc.problem(prefix + loc, message))
        else:
            out.append(doc.problem(prefix + loc, message, err.get("input")))
    # a union reports the same place several times: keep each message once
    seen: set[str] = set()
    unique = []
    for p in out:
        if p.format() not in seen:
            seen.add(p.format())
            unique.append(p)
    return unique


def _model(c: _Check, prefix: PathT, spec_cls: type[BaseModel], data: Any) -> Any:
    try:
        return spec_cls.model_validate(data)
    except ValidationError as exc:
        c.problems.extend(_pydantic_problems(c.doc, prefix, exc))
        return None


def _mapping(c: _Check, key: str, what: str, required: bool) -> dict[str, Any] | None:
    data = c.data.get(key)
    if key not in c.data:
        if required:
            c.add((key,), "required section is missing")
        return None
    if data is None:
        c.add((key,), f"{what} is empty (null): give at least one entry")
        return None
    if not isinstance(data, dict):
        c.add((key,), f"{what} must be a mapping from id to its fields", type(data).__name__)
        return None
    return {str(k): v for k, v in data.items()}


# -- sections ---------------------------------------------------------------------------------

def _text(c: _Check) -> None:
    """Text that cannot be written as UTF-8 (a lone surrogate, from a ``\\ud800`` escape, a
    ``--set`` value or an undecodable command-line byte) is rejected wherever it is, keys
    included, before anything could write it."""
    todo: list[tuple[PathT, Any]] = [((), c.data)]
    while todo:
        path, node = todo.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for key, value in items:
            sub = path + (key if isinstance(key, int) and isinstance(node, list) else str(key),)
            bad = [t for t in (key, value) if isinstance(t, str) and not _encodable(t)]
            if bad:
                text = bad[0].encode("utf-8", "backslashreplace").decode("utf-8")
                problem = c.doc.problem(sub, "text that cannot be written as UTF-8 (a lone "
                                        "surrogate is not a character)", text)
                c.problems.append(replace(problem, path=problem.path.encode(
                    "utf-8", "backslashreplace").decode("utf-8")))
            if isinstance(value, (dict, list)):
                todo.append((sub, value))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _top_level(c: _Check) -> None:
    for key in c.data:
        if key not in TOP_LEVEL:
            c.add((str(key),), "unknown top-level section (known: "
                  + ", ".join(TOP_LEVEL[1:]) + ")")


def _metadata(c: _Check) -> None:
    if "metadata" not in c.data:
        c.add(("metadata",), "required section is missing (needs a title)")
        return
    meta = c.data["metadata"]
    if isinstance(meta, dict) and isinstance(meta.get("date"), (_dt.date, _dt.datetime)):
        meta = {**meta, "date": meta["date"].isoformat()}
    c.meta = _model(c, ("metadata",), Metadata, meta)


def _salience_scale(c: _Check) -> None:
    declared = c.data.get("salience_scale", "auto")
    if declared not in ("auto", "unit", "percent"):
        c.add(("salience_scale",), "must be auto, unit (0-1) or percent (0-100)", declared)
        declared = "auto"
    c.declared = declared


def _issues(c: _Check) -> None:
    c.issues_raw = _mapping(c, "issues", "issues", required=True)
    for iid, body in (c.issues_raw or {}).items():
        spec = _model(c, ("issues", iid), IssueSpec, body)
        if spec is None:
            continue
        low, high = spec.scale.low, spec.scale.high
        if not low < high:
            c.add(("issues", iid, "scale"), "scale low must be below high", f"{low:g}..{high:g}")
            continue
        if spec.status_quo is not None and not low <= spec.status_quo <= high:
            c.add(("issues", iid, "status_quo"),
                  f"status quo lies off the issue's scale {low:g}-{high:g}", spec.status_quo)
        for point in spec.anchors:
            if not low <= point <= high:
                c.add(("issues", iid, "anchors", str(point)),
                      f"anchor lies off the issue's scale {low:g}-{high:g}", point)
        c.issues[iid] = spec
    if c.issues_raw is not None and not c.issues_raw:
        c.add(("issues",), "a scenario needs at least one issue")


def _actors(c: _Check) -> None:
    c.actors_raw = _mapping(c, "actors", "actors", required=True)
    for aid, body in (c.actors_raw or {}).items():
        if not isinstance(body, dict):
            c.add(("actors", aid), "an actor must be a mapping of its fields", body)
            continue
        # Validate the stances one by one, apart from the actor's other fields, so that a bad
        # capability does not hide a bad position (and vice versa).
        raw = body.get("issues", {})
        stances: dict[str, StanceSpec] = {}
        if isinstance(raw, dict):
            for iid, st_body in raw.items():
                st = _model(c, ("actors", aid, "issues", str(iid)), StanceSpec, st_body)
                if st is not None:
                    stances[str(iid)] = st
        else:
            c.add(("actors", aid, "issues"), "must be a mapping from issue id to {position, "
                  "salience}", raw)
        c.stances[aid] = stances
        spec = _model(c, ("actors", aid), ActorSpec, {**body, "issues": {}})
        if spec is not None:
            c.actors[aid] = spec.model_copy(update={"issues": stances})
    if c.actors_raw is not None and len(c.actors_raw) < 2:
        c.add(("actors",), "a negotiation needs at least two actors", len(c.actors_raw))


def _model_section(c: _Check) -> None:
    if "model" not in c.data:
        return
    model = _model(c, ("model",), ModelSpec, c.data["model"])
    if model is None:
        return
    if model.max_rounds > MAX_ROUNDS:
        c.add(("model", "max_rounds"), f"at most {MAX_ROUNDS} rounds (a deterministic rule that "
              "has not settled by then will not; sweep shorter runs instead)", model.max_rounds)
    c.model = model


def _events_raw(c: _Check) -> None:
    raw = c.data.get("events", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        c.add(("events",), "events must be a list", type(raw).__name__)
        return
    for idx, body in enumerate(raw):
        ev = _model(c, ("events", idx), EventSpec, body)
        if ev is not None:
            c.events.append((idx, ev))


def _salience_unit(c: _Check) -> None:
    """'auto' reads the file's own saliences: a --set value must not flip the whole file's
    scale."""
    doc = c.doc

    def from_file(path: PathT) -> bool:
        return not any(path[:d] in doc.origins for d in range(1, len(path) + 1))

    sal = [st.salience for aid, sts in c.stances.items() for iid, st in sts.items()
           if from_file(("actors", aid, "issues", iid, "salience"))]
    sal += [e.salience for idx, e in c.events if e.salience is not None
            and from_file(("events", idx, "salience"))]
    sal += [st.salience for idx, e in c.events if e.add and from_file(("events", idx))
            for st in e.add.issues.values()]
    if c.declared == "percent":
        c.unit = 100.0
    elif c.declared == "unit":
        c.unit = 1.0
    else:
        finite = [s for s in sal if isinstance(s, (int, float)) and math.isfinite(s)]
        c.unit = 100.0 if any(s > 1.0 for s in finite) else 1.0
    c.sal_note = ("0-100 (the file's salience_scale)" if c.declared == "percent" else "0-1"
                  if c.declared == "unit" else "0-1, or 0-100 for the whole file")


def _check_stance(c: _Check, path: PathT, iid: str, st: StanceSpec) -> None:
    if iid not in c.issues:
        if c.issues_raw is not None and iid not in c.issues_raw:
            c.add(path, "unknown issue id (known: " + ", ".join(c.issues_raw) + ")", iid)
        return
    sc = c.issues[iid].scale
    if not sc.low <= st.position <= sc.high:
        c.add(path + ("position",), f"position lies off the issue's scale {sc.low:g}-{sc.high:g}",
              st.position)
    if st.salience > c.unit:
        c.add(path + ("salience",), f"salience must be within {c.sal_note}", st.salience)


def _stances(c: _Check) -> None:
    for aid, stances in c.stances.items():
        for iid, st in stances.items():
            _check_stance(c, ("actors", aid, "issues", iid), iid, st)
    for aid, spec in c.actors.items():
        for iid in spec.capability_by_issue:
            if not c.known_issue(iid):
                c.add(("actors", aid, "capability_by_issue", iid), "unknown issue id", iid)


def _events(c: _Check) -> None:
    known = set(c.actors_raw or {})
    has_stance = {(aid, iid) for aid, sts in c.stances.items() for iid in sts}
    present = set(known)
    for idx, ev in sorted(c.events, key=lambda pair: (pair[1].round, pair[0])):
        path: PathT = ("events", idx)
        forms = [ev.add is not None, ev.remove is not None,
                 any(getattr(ev, f) is not None for f in ("position", "salience", "capability"))]
        if sum(forms) != 1:
            c.add(path, "an event must do exactly one thing: set position/salience/capability of "
                  "an actor, remove an actor, or add one")
            continue
        if ev.round > c.model.max_rounds:
            c.add(path + ("round",), "event falls after the last round "
                  f"(max_rounds {c.model.max_rounds})", ev.round)
        if ev.add is not None:
            new = ev.add
            if new.id in known:
                c.add(path + ("add", "id"), "duplicate actor id", new.id)
                continue
            known.add(new.id)
            present.add(new.id)
            has_stance.update((new.id, iid) for iid in new.issues)
            for iid, st in new.issues.items():
                _check_stance(c, path + ("add", "issues", iid), iid, st)
            continue
        if ev.remove is not None:
            if ev.remove not in known:
                c.add(path + ("remove",), "unknown actor id", ev.remove)
            elif ev.remove not in present:
                c.add(path + ("remove",), "actor has already left", ev.remove)
            present.discard(ev.remove)
            later = {iid for _, e in c.events if e.add is not None and e.round > ev.round
                     for iid in e.add.issues}
            _enough_left(c, path, present, has_stance, later)
            continue
        if ev.actor is None:
            c.add(path + ("actor",), "which actor? (required for a set event)")
            continue
        if ev.actor not in known:
            c.add(path + ("actor",), "unknown actor id", ev.actor)
            continue
        if ev.issue is None:
            if ev.position is not None or ev.salience is not None:
                c.add(path + ("issue",), "which issue? (required to set a position or salience)")
            continue
        if ev.issue not in c.issues:
            if not c.known_issue(ev.issue):
                c.add(path + ("issue",), "unknown issue id", ev.issue)
            continue
        if (ev.actor, ev.issue) not in has_stance and (ev.position is not None
                                                        or ev.salience is not None):
            if ev.position is None or ev.salience is None:
                c.add(path, f"{ev.actor} takes no part in {ev.issue}; give both position and "
                      "salience to bring it in")
            else:
                has_stance.add((ev.actor, ev.issue))
        sc = c.issues[ev.issue].scale
        if ev.position is not None and not sc.low <= ev.position <= sc.high:
            c.add(path + ("position",), "position lies off the issue's scale "
                  f"{sc.low:g}-{sc.high:g}", ev.position)
        if ev.salience is not None and ev.salience > c.unit:
            c.add(path + ("salience",), f"salience must be within {c.sal_note}", ev.salience)


def _enough_left(c: _Check, path: PathT, present: set[str],
                 has_stance: set[tuple[str, str]], joined_later: set[str]) -> None:
    """A removal must leave a negotiation: two actors, and two on every issue anyone holds
    (unless an actor joins that issue later: a lone actor may hold it for a while)."""
    if len(present) < 2:
        c.add(path + ("remove",), f"leaves {len(present)} actor(s): a negotiation needs at "
              "least two", len(present))
        return
    for iid in c.issues:
        left = [a for a in present if (a, iid) in has_stance]
        if len(left) == 1 and iid not in joined_later:
            c.add(path + ("remove",), f"leaves only {left[0]} on issue {iid}: an issue needs at "
                  "least two actors taking part", iid)


def _participation(c: _Check) -> None:
    """Every issue needs two participants, and some weight."""
    complete = c.actors_raw is not None and len(c.actors) == len(c.actors_raw)
    for iid in c.issues:
        members = [a for a in c.actors.values() if iid in a.issues]
        if complete and len(members) < 2:
            c.add(("issues", iid), "fewer than two actors take part in this issue", len(members))
        elif members and complete:
            weight = sum(a.capability_by_issue.get(iid, a.capability) * a.issues[iid].salience
                         for a in members)
            if weight <= 0:
                c.add(("issues", iid), "every participant has capability 0 or salience 0, so no "
                      "position carries any weight")


def _rule_body(c: _Check, path: PathT, spec: Any, voters: list[str]) -> None:
    """Checks shared by a bloc's and a decision's rule."""
    if spec.rule == "qmv":
        if spec.threshold is None:
            c.add(path + ("threshold",), "a qualified majority needs a threshold (the share of "
                  "the weight needed, e.g. 0.65)")
        elif spec.threshold <= 0.5:
            c.add(path + ("threshold",), "must exceed 0.5 (with half or less, both directions "
                  "could win)", spec.threshold)
    elif spec.threshold is not None or spec.min_share is not None:
        c.add(path + ("threshold" if spec.threshold is not None else "min_share",),
              f"only a qmv rule takes a threshold (this rule is {spec.rule})")
    if isinstance(spec.weights, dict):
        for voter in spec.weights:
            if voter not in voters:
                c.add(path + ("weights", voter), "weight for a voter that is not in this body "
                      "(voters: " + ", ".join(voters) + ")", voter)
        missing = [v for v in voters if v not in spec.weights]
        if missing:
            c.add(path + ("weights",), "no weight for: " + ", ".join(missing))


def _blocs(c: _Check) -> None:
    raw = _mapping(c, "blocs", "blocs", required=False)
    labels = {aid: spec.bloc for aid, spec in c.actors.items()}
    added = {e.add.id: e.add.bloc for _, e in c.events if e.add is not None}
    every = {**labels, **added}
    owner: dict[str, str] = {}
    for bid, body in (raw or {}).items():
        path: PathT = ("blocs", bid)
        spec = _model(c, path, BlocSpec, body)
        if spec is None:
            continue
        if bid in every:
            c.add(path, "a bloc id must differ from every actor id (parties are named by id)",
                  bid)
        if spec.members is not None:
            members = list(spec.members)
            for n, aid in enumerate(members):
                if aid not in every:
                    c.add(path + ("members", n), "unknown actor id", aid)
        else:
            names = {bid, spec.name} - {None}
            members = [a for a, label in every.items() if label in names and a != spec.broker]
            if not members:
                c.add(path, f"no actor has bloc label {bid!r}" + (f" or {spec.name!r}" if
                      spec.name else "") + "; give members: [...]")
        if spec.broker is not None:
            if spec.broker not in every:
                c.add(path + ("broker",), "unknown actor id", spec.broker)
            elif spec.broker in members:
                c.add(path + ("broker",), "a broker sets the bloc's agenda and is not one of its "
                      "members", spec.broker)
        for aid in members:
            if aid in owner and aid in every:
                c.add(path + ("members",), f"{aid} is already a member of bloc {owner[aid]}", aid)
            owner.setdefault(aid, bid)
        _rule_body(c, path, spec, members)
        c.blocs[bid] = spec


def _decision(c: _Check, path: PathT, body: Any) -> DecisionSpec | None:
    spec = _model(c, path, DecisionSpec, body)
    if spec is None:
        return None
    known_actors = set(c.actors_raw or {}) | {e.add.id for _, e in c.events if e.add is not None}
    voters = []
    for n, party in enumerate(spec.parties or []):
        if party not in known_actors and party not in c.blocs:
            c.add(path + ("parties", n), "unknown party (an actor id or a bloc id; blocs: "
                  + (", ".join(c.blocs) or "none") + ")", party)
        voters.append(party)
    if spec.parties is not None and len(set(spec.parties)) != len(spec.parties):
        c.add(path + ("parties",), "a party is listed twice", ",".join(spec.parties))
    if spec.parties is not None and not spec.parties:
        c.add(path + ("parties",), "a decision needs at least one party")
    if spec.agenda_setter is not None and spec.agenda_setter not in known_actors:
        c.add(path + ("agenda_setter",), "unknown actor id", spec.agenda_setter)
    if spec.parties is None and isinstance(spec.weights, dict):
        c.add(path + ("weights",), "weights need the parties listed")
    else:
        _rule_body(c, path, spec, voters)
    return spec


def _decisions(c: _Check) -> None:
    if "decision" in c.data:
        if c.data["decision"] is None:
            c.add(("decision",), "decision is empty (null)")
        else:
            c.decision = _decision(c, ("decision",), c.data["decision"])
    for iid, spec in list(c.issues.items()):
        body = (c.issues_raw or {}).get(iid, {})
        if isinstance(body, dict) and body.get("decision") is not None:
            dec = _decision(c, ("issues", iid, "decision"), body["decision"])
            c.issues[iid] = spec.model_copy(update={"decision": dec})


def _linkage(c: _Check) -> None:
    raw = c.data.get("linkage", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        c.add(("linkage",), "linkage must be a list of packages", type(raw).__name__)
        return
    known_actors = set(c.actors_raw or {}) | {e.add.id for _, e in c.events if e.add is not None}
    for idx, body in enumerate(raw):
        path: PathT = ("linkage", idx)
        spec = _model(c, path, LinkageSpec, body)
        if spec is None:
            continue
        if spec.actor not in known_actors:
            c.add(path + ("actor",), "unknown actor id", spec.actor)
        for n, iid in enumerate(spec.issues):
            if not c.known_issue(iid):
                c.add(path + ("issues", n), "unknown issue id", iid)
        if len(spec.issues) < 2:
            c.add(path + ("issues",), "a package links at least two issues", len(spec.issues))
        if len(set(spec.issues)) != len(spec.issues):
            c.add(path + ("issues",), "an issue is listed twice", ",".join(spec.issues))
        for n, cond in enumerate(spec.conditions):
            cpath = path + ("conditions", n)
            if cond.issue not in spec.issues:
                c.add(cpath + ("issue",), "a condition names an issue of its package ("
                      + ", ".join(spec.issues) + ")", cond.issue)
                continue
            if cond.at_most is None and cond.at_least is None:
                c.add(cpath, "a condition needs at_most and/or at_least")
                continue
            if cond.issue in c.issues:
                sc = c.issues[cond.issue].scale
                for key in ("at_most", "at_least"):
                    v = getattr(cond, key)
                    if v is not None and not sc.low <= v <= sc.high:
                        c.add(cpath + (key,), f"lies off the issue's scale {sc.low:g}-"
                              f"{sc.high:g}", v)
            if cond.at_most is not None and cond.at_least is not None \
                    and cond.at_least > cond.at_most:
                c.add(cpath, "at_least exceeds at_most", f"{cond.at_least:g} > {cond.at_most:g}")
        c.linkage.append((idx, spec))


def _rule(c: _Check) -> None:
    from .rules import UnknownRule, get_rule, rule_names

    try:
        rule = get_rule(c.model.rule)
    except UnknownRule:
        c.add(("model", "rule"), "unknown rule (known: " + ", ".join(rule_names()) + ")",
              c.model.rule)
        return
    given = {}
    for key, value in c.model.params.items():
        # a parameter check converts before comparing: int(inf) would raise
        spec = rule.param(str(key))
        if spec is not None and spec.kind in (int, float) and isinstance(value, float) \
                and not math.isfinite(value):
            c.add(("model", "params", key), "must be a finite number", value)
        else:
            given[key] = value
    _, errors = rule.resolve(given)
    for key, value, message in errors:
        c.add(("model", "params", key), message, value)


SECTIONS = (_text, _top_level, _metadata, _salience_scale, _issues, _actors, _model_section,
            _events_raw, _salience_unit, _stances, _events, _participation, _blocs, _decisions,
            _linkage, _rule)


def _build(c: _Check) -> Scenario:
    """The validated Scenario, saliences normalised to 0-1."""
    unit = c.unit

    def norm_actor(spec: ActorSpec) -> dict[str, Any]:
        d = spec.model_dump()
        d["issues"] = {k: {**v, "salience": v["salience"] / unit} for k, v in d["issues"].items()}
        return d

    events = []
    for _, ev in c.events:
        d = ev.model_dump(exclude_none=True)
        if ev.salience is not None:
            d["salience"] = ev.salience / unit
        if ev.add is not None:
            d["add"] = {**norm_actor(ev.add), "id": ev.add.id}
        events.append(d)
    assert c.meta is not None
    scenario = Scenario.model_validate({
        "metadata": c.meta.model_dump(),
        "issues": {k: v.model_dump() for k, v in c.issues.items()},
        "actors": {k: norm_actor(v) for k, v in c.actors.items()},
        "model": c.model.model_dump(),
        "events": events,
        "blocs": {k: v.model_dump() for k, v in c.blocs.items()},
        "decision": None if c.decision is None else c.decision.model_dump(),
        "linkage": [spec.model_dump() for _, spec in c.linkage],
        "source": c.doc.name,
    })
    scenario._salience_unit = unit
    return scenario


def validate(doc: Document) -> Scenario:
    """Validate plain scenario data; return a :class:`Scenario` or raise :class:`InputError`."""
    c = _Check(doc, list(doc.problems))
    for section in SECTIONS:
        section(c)
    # a field the reader already reported (a bad tag, a 5,000-digit number) is not reported
    # again by the field checks
    read = {(p.file, p.path) for p in doc.problems if p.path}
    c.problems = c.problems[:len(doc.problems)] + [p for p in c.problems[len(doc.problems):]
                                                   if (p.file, p.path) not in read]
    if c.problems:
        c.problems.sort(key=lambda p: (p.file != doc.name, p.line is None, p.line or 0))
        raise InputError(c.problems)
    return _build(c)
