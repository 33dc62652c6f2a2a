"""Institutions: who must agree, how, and which outcomes can pass (veto players and win-sets).

A scenario may say, per issue, what happens if nothing is agreed (``status_quo``, the reversion
point) and who must agree to change it (``decision``): a list of *parties*, each an actor or a
*bloc*, under a rule (unanimity/consensus, qualified majority with weights and a threshold, or
simple majority). A bloc has members and an internal rule of its own, and optionally a *broker*
(an agenda setter that is not a member, such as NATO's Secretary General and Council). An actor
may *link* issues into one package and attach *conditions* (red lines) to it.

Everything here is exact arithmetic on a line, issue by issue, after Tsebelis (1995, 2002):

* Actor ``i`` with ideal point ``x_i`` prefers ``x`` to the status quo ``q`` iff
  ``|x - x_i| < |q - x_i|``: the open interval between ``q`` and ``2 x_i - q``. It always has
  ``q`` as one end, so it is held as a signed *reach* ``r_i = 2 (x_i - q)``: the preferred set
  is ``(q, q + r_i)`` (``r_i > 0``), ``(q + r_i, q)`` (``r_i < 0``) or empty (``r_i = 0``).
  Saliences scale utilities, not preferred sets, so they play no part on one issue.
* A collective actor's acceptance set is again an interval ending at ``q`` (Tsebelis 2002,
  ch. 2): under unanimity the intersection of its members' (the smallest reach, if all point
  the same way; empty otherwise); under a ``q``-majority with weights ``w`` the points that
  some coalition of weight at least ``threshold x total`` prefers, whose far end is the reach
  of the *pivotal* member (the k-th largest reach, k the smallest number of members whose
  weights reach the threshold). Thresholds must exceed one half, so at most one direction can
  win.
* The **zone** of an issue (its win-set) is the same aggregation over the decision's parties,
  with each bloc party represented by its acceptance set: the outcomes every required party,
  under its own rule, prefers to the status quo. It is reported as the interval ``[low,
  high]`` whose interior is the win-set (one end is the status quo), clipped to the scale.
  An empty zone means the status quo lies in the core: gridlock (Tsebelis 2002, ch. 1).
* ``blocked_by``: when the zone is empty, every direction of change is vetoed by someone. For
  each direction the *blockers* are the veto players who prefer no move that way (``blocking``
  gives both lists); ``blocked_by`` names the blockers of the direction that more of the voters
  want: the few who stop what most would accept (on a tie, the shorter list). ``decisive`` names the actors who set the edge
  of a non-empty zone (the most reluctant veto player, or the pivotal member).
* **Packages** (Sebenius 1983; ``docs/institutions.md``): a linking actor accepts a deal on its
  package only if every condition holds (``at_most``/``at_least`` bounds on named issues) and
  its salience-weighted gain over the whole package, ``sum_d s_d (|q_d - x_d| - |o_d - x_d|)``,
  is positive. Whether a package *can* pass as a whole is a small linear programme: find
  outcomes for its issues, within the conditions (and within the win-set of every issue decided
  by a qualified majority, which votes issue by issue), that give every veto player of the
  package's unanimity/consensus decisions a positive gain over the package; the largest
  smallest gain decides.

Inputs are compiled once from a :class:`~negsim.scenario.Scenario` into :class:`Institutions`
(index arrays over the scenario's actor slots); the analysis functions take the current
positions and participation, so the same code serves the static ``negsim agree`` and every
round of a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = ["RULES", "Body", "Decision", "Package", "Institutions", "IssueAgreement",
           "Agreement", "aggregate", "analyse", "analyse_issue", "analyse_issues",
           "package_can_pass", "POSSIBLE", "NONE",
           "BLOCKED_BY_LINKAGE", "NO_STATUS_QUO", "AGREED", "NO_AGREEMENT"]

RULES = ("unanimity", "consensus", "qmv", "majority")
#: Static agreement labels (``negsim agree``).
POSSIBLE, NONE, BLOCKED_BY_LINKAGE, NO_STATUS_QUO = ("possible", "none", "blocked by linkage",
                                                     "no status quo")
#: Run labels (per round of a run with institutions).
AGREED, NO_AGREEMENT = "agreed", "no agreement"
#: Relative tolerance (of the scale width) below which two points are the same.
TOL = 1e-9


@dataclass(frozen=True)
class Body:
    """How a set of voters decides: ``rule`` over ``members`` (slot indices) with ``weights``
    (``None``: equal; ``"capability"``: the members' capabilities on the issue), ``threshold``
    (share of weight needed for qmv) and ``min_share`` (share of members needed, qmv)."""

    rule: str
    weights: np.ndarray | str | None = None
    threshold: float | None = None
    min_share: float | None = None

    def needs(self, total_w: float, total_n: int) -> tuple[float, float, bool]:
        """(weight needed, members needed, strict?) for a coalition to carry a point."""
        if self.rule in ("unanimity", "consensus"):
            return total_w, float(total_n), False
        if self.rule == "majority":
            return 0.5 * total_w, 0.0, True
        share = 0.0 if self.min_share is None else self.min_share * total_n
        return float(self.threshold) * total_w, share, False


@dataclass(frozen=True)
class Bloc:
    id: str
    name: str
    members: np.ndarray            #: actor slots
    body: Body
    broker: int | None = None       #: slot of the broker (agenda setter), not a member


@dataclass(frozen=True)
class Decision:
    """Who must agree on an issue: parties are ``("actor", slot)`` or ``("bloc", index)``."""

    parties: tuple[tuple[str, int], ...]
    body: Body
    agenda_setter: int | None = None
    amendment: str = "none"
    #: True when the parties were not declared: every actor taking part decides by unanimity.
    default: bool = False


@dataclass(frozen=True)
class Package:
    actor: int
    issues: np.ndarray              #: issue indices
    #: (issue index, lowest acceptable, highest acceptable) for every condition
    conditions: tuple[tuple[int, float, float], ...]
    label: str = ""


@dataclass
class Institutions:
    """A scenario's institutions compiled against its actor slots and issue order."""

    actor_ids: list[str]
    issue_ids: list[str]
    status_quo: np.ndarray          #: (m,), NaN where none
    low: np.ndarray
    high: np.ndarray
    blocs: list[Bloc]
    decisions: list[Decision]       #: one per issue
    packages: list[Package]
    declared: bool                  #: the scenario declares decisions, blocs or linkage

    @classmethod
    def from_scenario(cls, sc: "Scenario", actor_ids: Sequence[str] | None = None
                      ) -> "Institutions":
        actor_ids = list(actor_ids if actor_ids is not None else sc.all_actor_ids)
        slot = {aid: i for i, aid in enumerate(actor_ids)}
        issue_ids = sc.issue_ids
        kidx = {iid: k for k, iid in enumerate(issue_ids)}
        blocs = []
        for bid, spec in sc.blocs.items():
            members = np.array([slot[a] for a in sc.bloc_members(bid) if a in slot], dtype=int)
            blocs.append(Bloc(bid, spec.name or bid, members,
                              _body(spec.rule, spec.weights, spec.threshold, spec.min_share,
                                    [actor_ids[i] for i in members]),
                              slot.get(spec.broker) if spec.broker else None))
        bidx = {b.id: n for n, b in enumerate(blocs)}
        decisions = []
        for iid in issue_ids:
            spec = sc.issues[iid].decision or sc.decision
            if spec is None or spec.parties is None:
                # every actor taking part decides (brokers are not voters)
                rule = "unanimity" if spec is None else spec.rule
                brokers = {b.broker for b in blocs}
                parties = tuple(("actor", i) for i in range(len(actor_ids)) if i not in brokers)
                names = [actor_ids[i] for _, i in parties]
            else:
                parties = tuple(("bloc", bidx[p]) if p in bidx else ("actor", slot[p])
                                for p in spec.parties if p in bidx or p in slot)
                names = [p for p in spec.parties if p in bidx or p in slot]
                rule = spec.rule
            body = _body(rule, None if spec is None else spec.weights,
                         None if spec is None else spec.threshold,
                         None if spec is None else spec.min_share, names)
            decisions.append(Decision(parties, body,
                                      slot.get(spec.agenda_setter) if spec is not None
                                      and spec.agenda_setter else None,
                                      "none" if spec is None else spec.amendment,
                                      default=spec is None or spec.parties is None))
        packages = []
        for link in sc.linkage:
            conds = []
            for c in link.conditions:
                k = kidx[c.issue]
                lo = -np.inf if c.at_least is None else float(c.at_least)
                hi = np.inf if c.at_most is None else float(c.at_most)
                conds.append((k, lo, hi))
            packages.append(Package(slot[link.actor],
                                    np.array([kidx[i] for i in link.issues], dtype=int),
                                    tuple(conds), link.label or ""))
        sq = np.array([np.nan if sc.issues[i].status_quo is None else sc.issues[i].status_quo
                       for i in issue_ids], dtype=float)
        low = np.array([sc.issues[i].scale.low for i in issue_ids], dtype=float)
        high = np.array([sc.issues[i].scale.high for i in issue_ids], dtype=float)
        declared = bool(sc.blocs or sc.linkage or sc.decision is not None
                        or any(sc.issues[i].decision is not None for i in issue_ids))
        return cls(actor_ids, issue_ids, sq, low, high, blocs, decisions, packages, declared)

    # -- helpers -----------------------------------------------------------------------------
    @cached_property
    def fast_layout(self) -> dict[str, Any]:
        """Which issues the array analysis covers, and who each of their parties stands for
        (:func:`_fast_layout`)."""
        return _fast_layout(self)

    def bloc_of(self) -> dict[int, int]:
        """Actor slot -> index of the bloc it belongs to."""
        return {int(i): n for n, b in enumerate(self.blocs) for i in b.members}

    def brokers(self) -> set[int]:
        return {b.broker for b in self.blocs if b.broker is not None}

    def veto_players(self, k: int, active: np.ndarray) -> list[int]:
        """Actor slots whose consent issue ``k`` needs one by one (unanimity parties, and the
        members of unanimity/consensus blocs among them); empty for majority decisions."""
        dec = self.decisions[k]
        if dec.body.rule not in ("unanimity", "consensus"):
            return []
        out: list[int] = []
        for kind, idx in dec.parties:
            if kind == "actor":
                if active[k, idx]:
                    out.append(idx)
            else:
                bloc = self.blocs[idx]
                if bloc.body.rule in ("unanimity", "consensus"):
                    out.extend(int(i) for i in bloc.members if active[k, i])
        return sorted(set(out))


def _body(rule: str, weights: Any, threshold: float | None, min_share: float | None,
          names: list[str]) -> Body:
    if isinstance(weights, dict):
        w: np.ndarray | str | None = np.array([float(weights.get(n, 0.0)) for n in names])
    elif weights == "capability":
        w = "capability"
    else:
        w = None
    return Body(rule, w, threshold, min_share)


# ------------------------------------------------------------------------------------------
# aggregation on a line

@dataclass(frozen=True)
class Reach:
    """A signed reach (see the module docstring) and who shaped it.

    ``decisive``: the voters (as given to :func:`aggregate`) whose own reaches set the result's
    end; ``blockers``: for an empty result, per direction (+1 up, -1 down), the voters that
    support no move that way."""

    value: float
    decisive: tuple[int, ...] = ()
    blockers: dict[int, tuple[int, ...]] = field(default_factory=dict)


def aggregate(reach: np.ndarray, weights: np.ndarray, body: Body, tol: float) -> Reach:
    """Combine voters' reaches (n,) under ``body`` (weights (n,), already resolved).

    Unanimity: the smallest reach if all point one way, else empty. q-majority: the reach of
    the pivotal voter on the side whose supporters reach the threshold (weight and, if given,
    count). Reaches within ``tol`` of zero count as zero (the voter sits at the status quo)."""
    reach = np.where(np.abs(reach) <= tol, 0.0, np.asarray(reach, dtype=float))
    n = reach.size
    if n == 0:
        return Reach(0.0, (), {1: (), -1: ()})
    up = np.flatnonzero(reach > 0)
    down = np.flatnonzero(reach < 0)
    blockers = {1: tuple(np.flatnonzero(reach <= 0).tolist()),
                -1: tuple(np.flatnonzero(reach >= 0).tolist())}
    if body.rule in ("unanimity", "consensus"):
        for side, sign in ((up, 1.0), (down, -1.0)):
            if side.size == n:
                mags = np.abs(reach)
                best = mags.min()
                return Reach(sign * best, tuple(np.flatnonzero(mags <= best + tol).tolist()))
        return Reach(0.0, (), blockers)
    w = np.asarray(weights, dtype=float)
    need_w, need_n, strict = body.needs(float(w.sum()), n)
    for side, sign in ((up, 1.0), (down, -1.0)):
        if side.size == 0:
            continue
        order = side[np.argsort(-np.abs(reach[side]), kind="stable")]
        cw = np.cumsum(w[order])
        count = np.arange(1, order.size + 1)
        ok_w = cw > need_w * (1 + 1e-12) if strict else cw >= need_w * (1 - 1e-12)
        ok = ok_w & (count >= need_n - 1e-9)
        if ok.any():
            piv = int(np.argmax(ok))
            value = sign * abs(reach[order[piv]])
            decisive = tuple(int(i) for i in order if abs(abs(reach[i]) - abs(value)) <= tol)
            return Reach(value, decisive)
    return Reach(0.0, (), blockers)


def _member_weights(body: Body, slots: np.ndarray, all_slots: np.ndarray,
                    capability_k: np.ndarray) -> np.ndarray:
    """Weights of the voters ``slots`` (a subset of ``all_slots``, the body's declared voters)."""
    if isinstance(body.weights, np.ndarray):
        pos = {int(v): i for i, v in enumerate(all_slots)}
        return np.asarray(body.weights, dtype=float)[[pos[int(v)] for v in slots]]
    if body.weights == "capability":
        return capability_k[slots]
    return np.ones(len(slots))


@dataclass
class IssueAgreement:
    """The agreement analysis of one issue at one state (see :func:`analyse`)."""

    issue: str
    status_quo: float | None
    #: [low, high] with the win-set as interior; None when empty or without a status quo
    zone: tuple[float, float] | None
    agreement: str
    blocked_by: list[str] = field(default_factory=list)
    #: direction ("toward_low"/"toward_high") -> actors vetoing every move that way
    blocking: dict[str, list[str]] = field(default_factory=dict)
    decisive: list[str] = field(default_factory=list)
    #: acceptance set of each bloc party, as [low, high] or None
    blocs: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    package: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status_quo": self.status_quo,
                "zone": None if self.zone is None else [self.zone[0], self.zone[1]],
                "blocked_by": self.blocked_by, "agreement": self.agreement,
                "blocking": self.blocking, "decisive": self.decisive,
                "blocs": {b: None if z is None else [z[0], z[1]] for b, z in self.blocs.items()},
                "package": self.package}


@dataclass
class Agreement:
    issues: list[IssueAgreement]
    packages: list[dict[str, Any]]

    def by_issue(self) -> dict[str, IssueAgreement]:
        return {a.issue: a for a in self.issues}

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {a.issue: a.to_dict() for a in self.issues}
        return {"issues": doc, "packages": self.packages}


def _interval(sq: float, r: float, low: float, high: float, tol: float
              ) -> tuple[float, float] | None:
    if r == 0.0:
        return None
    a, b = (sq, min(sq + r, high)) if r > 0 else (max(sq + r, low), sq)
    return (float(a), float(b)) if b - a > tol else None


def bloc_reach(inst: Institutions, n: int, k: int, positions: np.ndarray, active: np.ndarray,
               capability: np.ndarray) -> tuple[Reach, np.ndarray]:
    """The acceptance reach of bloc ``n`` on issue ``k``, and its member slots active there
    (``Reach.decisive``/``blockers`` index into those)."""
    bloc = inst.blocs[n]
    members = bloc.members[active[k, bloc.members]]
    tol = TOL * (inst.high[k] - inst.low[k])
    r = 2.0 * (positions[k, members] - inst.status_quo[k])
    w = _member_weights(bloc.body, members, bloc.members, capability[k])
    return aggregate(r, w, bloc.body, tol), members


@dataclass(frozen=True)
class _Party:
    index: int                  #: position in the decision's party list
    reach: float
    slots: np.ndarray           #: the actor slots it stands for (active on the issue)
    member_reach: np.ndarray    #: their own reaches
    decisive: tuple[int, ...]   #: slots setting the party's own edge (blocs)


def _parties(inst: Institutions, k: int, positions: np.ndarray, active: np.ndarray,
             capability: np.ndarray) -> list[_Party]:
    dec = inst.decisions[k]
    sq = inst.status_quo[k]
    out = []
    for p, (kind, idx) in enumerate(dec.parties):
        if kind == "actor":
            if active[k, idx]:
                r = 2.0 * (positions[k, idx] - sq)
                out.append(_Party(p, r, np.array([idx]), np.array([r]), (idx,)))
            continue
        rr, members = bloc_reach(inst, idx, k, positions, active, capability)
        if members.size:
            out.append(_Party(p, rr.value, members, 2.0 * (positions[k, members] - sq),
                              tuple(int(members[i]) for i in rr.decisive)))
    return out


def _names(inst: Institutions, slots: Sequence[int]) -> list[str]:
    return [inst.actor_ids[i] for i in sorted(set(int(s) for s in slots))]


def issue_reach(inst: Institutions, k: int, positions: np.ndarray, active: np.ndarray,
                capability: np.ndarray) -> tuple[Reach, list[_Party]]:
    """The decision's reach on issue ``k`` (its ``decisive``/``blockers`` index the returned
    parties)."""
    dec = inst.decisions[k]
    parties = _parties(inst, k, positions, active, capability)
    all_idx = np.arange(len(dec.parties))
    if isinstance(dec.body.weights, np.ndarray):
        w = _member_weights(dec.body, np.array([p.index for p in parties], dtype=int), all_idx,
                            capability[k])
    elif dec.body.weights == "capability":
        w = np.array([capability[k, p.slots].sum() for p in parties])
    else:
        w = np.ones(len(parties))
    tol = TOL * (inst.high[k] - inst.low[k])
    res = aggregate(np.array([p.reach for p in parties], dtype=float), w, dec.body, tol)
    return res, parties


def analyse_issue(inst: Institutions, k: int, positions: np.ndarray, active: np.ndarray,
                  capability: np.ndarray) -> IssueAgreement:
    """The zone, blockers and decisive actors of issue ``k`` at the given positions."""
    iid = inst.issue_ids[k]
    sq = float(inst.status_quo[k])
    if not np.isfinite(sq):
        return IssueAgreement(iid, None, None, NO_STATUS_QUO)
    low, high = float(inst.low[k]), float(inst.high[k])
    tol = TOL * (high - low)
    res, parties = issue_reach(inst, k, positions, active, capability)
    blocs = {inst.blocs[inst.decisions[k].parties[p.index][1]].id:
             _interval(sq, p.reach, low, high, tol)
             for p in parties if inst.decisions[k].parties[p.index][0] == "bloc"}
    zone = _interval(sq, res.value, low, high, tol)
    if zone is not None:
        decisive = [s for d in res.decisive for s in parties[d].decisive]
        return IssueAgreement(iid, sq, zone, POSSIBLE, decisive=_names(inst, decisive),
                              blocs=blocs)
    # No zone: for each direction, the actors that veto every move that way. A party blocks a
    # direction when its own acceptance set does not point there; its members doing so are
    # those whose own preferred sets do not point there.
    blocking, wanting = {}, {}
    for direction, label in ((1, "toward_high"), (-1, "toward_low")):
        slots = [int(s) for d in res.blockers.get(direction, ())
                 for s, r in zip(parties[d].slots, parties[d].member_reach)
                 if r * direction <= tol]
        blocking[label] = _names(inst, slots)
        wanting[label] = sum(int(np.sum(p.member_reach * direction > tol)) for p in parties)
    if res.value != 0.0:
        # the win-set exists but lies beyond the end of the scale
        return IssueAgreement(iid, sq, None, NONE, blocked_by=[], blocking=blocking,
                              blocs=blocs)
    # blocked_by: those who stop the move more of the voters want (ties: the shorter list)
    ranked = sorted(blocking, key=lambda d: (-wanting[d], len(blocking[d]), d))
    blocked_by = next((blocking[d] for d in ranked if blocking[d]), [])
    return IssueAgreement(iid, sq, None, NONE, blocked_by=blocked_by, blocking=blocking,
                          blocs=blocs)



def _fast_layout(inst: Institutions) -> dict[str, Any]:
    """The issues :func:`analyse_issues` works out as arrays, and their party membership:
    issues decided by unanimity/consensus whose bloc parties decide so too (compiled once per
    :class:`Institutions`: :attr:`Institutions.fast_layout`)."""
    m, n = len(inst.issue_ids), len(inst.actor_ids)
    unan = ("unanimity", "consensus")
    fast = np.array([d.body.rule in unan and all(kind == "actor" or inst.blocs[idx].body.rule
                                                 in unan for kind, idx in d.parties)
                     for d in inst.decisions], dtype=bool)
    P = max([len(d.parties) for d in inst.decisions] + [1])
    member = np.zeros((m, P, n), dtype=bool)       # party p of issue k stands for slot i
    is_bloc = np.zeros((m, P), dtype=bool)
    exists = np.zeros((m, P), dtype=bool)
    for k, d in enumerate(inst.decisions):
        for p, (kind, idx) in enumerate(d.parties):
            exists[k, p] = True
            if kind == "actor":
                member[k, p, idx] = True
            else:
                is_bloc[k, p] = True
                member[k, p, inst.blocs[idx].members] = True
    return {"fast": fast, "member": member, "is_bloc": is_bloc, "exists": exists}


def _unanimous_reaches(inst: Institutions, lay: dict[str, Any], vec: np.ndarray,
                       positions: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, ...]:
    """The reaches of the unanimity issues ``vec`` (see :attr:`Institutions.fast_layout`), as
    arrays: raw and tolerance-zeroed member reaches (v, n), active members (v, P, n), parties
    taking part and their reaches (v, P), and the issue reaches (v,) with their pieces."""
    q = inst.status_quo[vec]
    tol = TOL * (inst.high[vec] - inst.low[vec])
    T = tol[:, None]
    R = 2.0 * (positions[vec] - q[:, None])                         # (v, n) raw reaches
    Z = np.where(np.abs(R) <= T, 0.0, R)                            # within tol: at the sq
    E = lay["member"][vec] & active[vec][:, None, :]                # (v, P, n) active members
    V = lay["exists"][vec] & E.any(axis=2)                          # parties taking part
    Zb = Z[:, None, :]
    up = np.where(E, Zb > 0, True).all(axis=2)
    down = np.where(E, Zb < 0, True).all(axis=2)
    lo = np.where(E, Zb, np.inf).min(axis=2)
    hi = np.where(E, Zb, -np.inf).max(axis=2)
    party = np.where(V & up, lo, np.where(V & down, hi, 0.0))       # (v, P) party reaches
    Pz = np.where(np.abs(party) <= T, 0.0, party)
    some = V.any(axis=1)
    all_up = np.where(V, Pz > 0, True).all(axis=1) & some
    all_down = np.where(V, Pz < 0, True).all(axis=1) & some
    best = np.where(V, np.abs(Pz), np.inf).min(axis=1)
    value = np.where(all_up, best, np.where(all_down, -best, 0.0))
    return R, Z, E, V, party, Pz, all_up, all_down, best, value, tol


def analyse_issues(inst: Institutions, positions: np.ndarray, active: np.ndarray,
                   capability: np.ndarray, issues: Sequence[int] | None = None,
                   reaches: tuple[np.ndarray, tuple[np.ndarray, ...]] | None = None
                   ) -> dict[int, IssueAgreement]:
    """:func:`analyse_issue` of several issues (default: all) at once.

    Issues decided by unanimity/consensus of actors and unanimity/consensus blocs (NATO and
    Russia on the flagship) are worked out together as arrays over issues x parties x actors;
    the others issue by issue. The result is exactly :func:`analyse_issue`'s (tested).
    ``reaches``: the unanimity issues' reaches at these positions, already worked out
    (``(issues, parts)`` from :func:`_issue_reaches`)."""
    m = len(inst.issue_ids)
    ks = np.arange(m) if issues is None else np.asarray(list(issues), dtype=int)
    lay = inst.fast_layout
    sq = inst.status_quo
    out: dict[int, IssueAgreement] = {}
    on = lay["fast"][ks] & np.isfinite(sq[ks])
    vec = ks[on]
    for k in ks[~on].tolist():
        out[k] = analyse_issue(inst, k, positions, active, capability)
    if vec.size == 0:
        return out
    low, high = inst.low[vec], inst.high[vec]
    q = sq[vec]
    if reaches is not None and np.isin(vec, reaches[0]).all():
        rows = np.searchsorted(reaches[0], vec)
        parts = tuple(a[rows] for a in reaches[1])
    else:
        parts = _unanimous_reaches(inst, lay, vec, positions, active)
    R, Z, E, V, party, Pz, all_up, all_down, best, value, tol = parts
    T = tol[:, None]
    Zb = Z[:, None, :]
    mag = np.abs(Pz)
    # decisive: the parties at the smallest reach, and within each the members at its edge
    dparty = V & (mag <= best[:, None] + T) & (all_up | all_down)[:, None]
    dslot = (dparty[:, :, None] & E & (np.abs(Zb) <= mag[:, :, None] + T[:, :, None])).any(1)
    # blocking, per direction: members of parties whose reach points no way that way, who do
    # not want that way themselves; wanting: members (counted per party) who do
    rows = {}
    for direction, label in ((1, "toward_high"), (-1, "toward_low")):
        bparty = V & (Pz * direction <= 0) & ~(all_up | all_down)[:, None]
        rows[label] = ((bparty[:, :, None] & E & (R * direction <= T)[:, None, :]).any(1),
                       (E & (R * direction > T)[:, None, :]).sum(axis=(1, 2)))
    ids = inst.actor_ids

    def names(mask: np.ndarray) -> list[list[str]]:
        rows_, cols = np.nonzero(mask)
        got: list[list[str]] = [[] for _ in range(mask.shape[0])]
        for r, c in zip(rows_.tolist(), cols.tolist()):
            got[r].append(ids[c])
        return got

    decisive_names = names(dslot)
    blocking_names = {label: names(rows[label][0]) for label in rows}
    wanting_n = {label: rows[label][1].tolist() for label in rows}
    party_l, value_l, q_l, low_l, high_l, tol_l = (party.tolist(), value.tolist(), q.tolist(),
                                                   low.tolist(), high.tolist(), tol.tolist())
    vb = (V & lay["is_bloc"][vec]).tolist()
    for j, k in enumerate(vec.tolist()):
        qk, lk, hk, tk = q_l[j], low_l[j], high_l[j], tol_l[j]
        parties = inst.decisions[k].parties
        blocs = {inst.blocs[parties[p][1]].id: _interval(qk, party_l[j][p], lk, hk, tk)
                 for p, b in enumerate(vb[j]) if b}
        iid = inst.issue_ids[k]
        zone = _interval(qk, value_l[j], lk, hk, tk)
        if zone is not None:
            out[k] = IssueAgreement(iid, qk, zone, POSSIBLE, decisive=decisive_names[j],
                                    blocs=blocs)
            continue
        blocking = {label: blocking_names[label][j] for label in ("toward_high", "toward_low")}
        if value_l[j] != 0.0:
            out[k] = IssueAgreement(iid, qk, None, NONE, blocked_by=[], blocking=blocking,
                                    blocs=blocs)
            continue
        wanting = {label: wanting_n[label][j] for label in rows}
        ranked = sorted(blocking, key=lambda d: (-wanting[d], len(blocking[d]), d))
        blocked_by = next((blocking[d] for d in ranked if blocking[d]), [])
        out[k] = IssueAgreement(iid, qk, None, NONE, blocked_by=blocked_by, blocking=blocking,
                                blocs=blocs)
    return out

# ------------------------------------------------------------------------------------------
# packages

def package_gain(pkg: Package, outcome: np.ndarray, status_quo: np.ndarray,
                 positions: np.ndarray, salience: np.ndarray, active: np.ndarray,
                 who: int | None = None) -> float:
    """Salience-weighted gain of actor ``who`` (default: the linking actor) from outcomes
    ``outcome`` (m,) over the status quo, summed over the package's issues it takes part in."""
    i = pkg.actor if who is None else who
    ks = pkg.issues[active[pkg.issues, i]]
    x = positions[ks, i]
    s = salience[ks, i]
    return float(np.sum(s * (np.abs(status_quo[ks] - x) - np.abs(outcome[ks] - x))))


def unmet_conditions(pkg: Package, outcome: np.ndarray, tol: np.ndarray) -> list[int]:
    """Indices of the package's conditions that ``outcome`` violates."""
    return [c for c, (k, lo, hi) in enumerate(pkg.conditions)
            if not (lo - tol[k] <= outcome[k] <= hi + tol[k])]


def package_can_pass(inst: Institutions, pkg: Package, positions: np.ndarray,
                     salience: np.ndarray, active: np.ndarray, capability: np.ndarray
                     ) -> dict[str, Any]:
    """Whether some outcome of the package's issues, taken as a whole, satisfies every
    condition and gives every veto player a positive gain (module docstring). Returns
    ``{"can_pass", "margin", "outcome", "blocked_by", "why"}``."""
    from scipy.optimize import linprog

    ks = [int(k) for k in pkg.issues if np.isfinite(inst.status_quo[k])]
    sq = inst.status_quo
    lo = {k: float(inst.low[k]) for k in ks}
    hi = {k: float(inst.high[k]) for k in ks}
    for k, a, b in pkg.conditions:
        if k in lo:
            lo[k], hi[k] = max(lo[k], a), min(hi[k], b)
    # issues decided by a (qualified) majority vote issue by issue: stay inside their win-set
    for k in ks:
        if inst.decisions[k].body.rule in ("qmv", "majority"):
            a = analyse_issue(inst, k, positions, active, capability)
            if a.zone is None:
                lo[k], hi[k] = float(sq[k]), float(sq[k])
            else:
                lo[k], hi[k] = max(lo[k], a.zone[0]), min(hi[k], a.zone[1])
    empty = [inst.issue_ids[k] for k in ks if lo[k] > hi[k] + TOL * (inst.high[k] - inst.low[k])]
    if empty:
        return {"can_pass": False, "margin": None, "outcome": None, "blocked_by": [],
                "why": "the conditions leave no outcome on " + ", ".join(empty)}
    players = sorted({pkg.actor, *[v for k in ks for v in inst.veto_players(k, active)]})
    players = [i for i in players if active[ks, i].any()]
    # fast exact check: a player whose best achievable gain within the bounds is <= 0 blocks
    blocked = []
    for i in players:
        best = 0.0
        for k in ks:
            if active[k, i]:
                x = positions[k, i]
                nearest = min(max(x, lo[k]), hi[k])
                best += salience[k, i] * (abs(sq[k] - x) - abs(nearest - x))
        if best <= 1e-12:
            blocked.append(i)
    if blocked:
        return {"can_pass": False, "margin": None, "outcome": None,
                "blocked_by": _names(inst, blocked),
                "why": "no outcome within the conditions leaves these veto players better off "
                       "than the status quo"}
    # LP over x_k (k in ks), t_ik >= |x_k - x_ik| and z: maximise z subject to
    # sum_k s_ik (|sq_k - x_ik| - t_ik) >= z for every player i
    nk = len(ks)
    pairs = [(i, k) for i in players for k in ks if active[k, i]]
    nv = nk + len(pairs) + 1
    c = np.zeros(nv)
    c[-1] = -1.0
    A, b = [], []
    col = {k: j for j, k in enumerate(ks)}
    for p, (i, k) in enumerate(pairs):
        x = positions[k, i]
        row = np.zeros(nv); row[col[k]] = 1.0; row[nk + p] = -1.0
        A.append(row); b.append(x)                       # x_k - t <= x_ik
        row = np.zeros(nv); row[col[k]] = -1.0; row[nk + p] = -1.0
        A.append(row); b.append(-x)                      # -x_k - t <= -x_ik
    for i in players:
        row = np.zeros(nv)
        const = 0.0
        for p, (ii, k) in enumerate(pairs):
            if ii == i:
                row[nk + p] = salience[k, i]
                const += salience[k, i] * abs(sq[k] - positions[k, i])
        row[-1] = 1.0
        A.append(row); b.append(const)                   # sum s t + z <= sum s |sq - x|
    bounds = [(lo[k], hi[k]) for k in ks] + [(0, None)] * len(pairs) + [(None, None)]
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    if not res.success:
        return {"can_pass": False, "margin": None, "outcome": None, "blocked_by": [],
                "why": f"the linear programme failed: {res.message}"}
    z = float(-res.fun)
    out = {inst.issue_ids[k]: float(res.x[col[k]]) for k in ks}
    if z > 1e-9:
        return {"can_pass": True, "margin": z, "outcome": out, "blocked_by": [],
                "why": "an outcome exists that every veto player prefers as a whole"}
    x = np.array(sq, dtype=float)
    for k in ks:
        x[k] = res.x[col[k]]
    worst = [i for i in players
             if sum(salience[k, i] * (abs(sq[k] - positions[k, i]) - abs(x[k] - positions[k, i]))
                    for k in ks if active[k, i]) <= z + 1e-9]
    return {"can_pass": False, "margin": z, "outcome": None, "blocked_by": _names(inst, worst),
            "why": "every outcome within the conditions leaves some veto player no better off "
                   "than the status quo"}


def analyse(inst: Institutions, positions: np.ndarray, active: np.ndarray,
            capability: np.ndarray, salience: np.ndarray) -> Agreement:
    """The static agreement analysis of every issue and package (``negsim agree``)."""
    by_k = analyse_issues(inst, positions, active, capability)
    issues = [by_k[k] for k in range(len(inst.issue_ids))]
    packages = []
    for n, pkg in enumerate(inst.packages):
        check = package_can_pass(inst, pkg, positions, salience, active, capability)
        label = pkg.label or f"package of {inst.actor_ids[pkg.actor]}"
        packages.append({"actor": inst.actor_ids[pkg.actor], "label": label,
                         "issues": [inst.issue_ids[k] for k in pkg.issues],
                         "conditions": [{"issue": inst.issue_ids[k],
                                         "at_least": None if not np.isfinite(a) else a,
                                         "at_most": None if not np.isfinite(b) else b}
                                        for k, a, b in pkg.conditions], **check})
        for k in pkg.issues:
            a = issues[k]
            a.package = label
            if a.agreement == POSSIBLE and not check["can_pass"]:
                a.agreement = BLOCKED_BY_LINKAGE
                a.blocked_by = check["blocked_by"] or [inst.actor_ids[pkg.actor]]
            elif a.agreement == NONE and check["can_pass"]:
                a.agreement = POSSIBLE
    return Agreement(issues, packages)


# ------------------------------------------------------------------------------------------
# reaches of every issue at once (the per-round fast path)

def _unanimity(R: np.ndarray, valid: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Row-wise unanimity of reaches R (m, v) where ``valid``: the smallest reach if all point
    one way, else 0 (what :func:`aggregate` gives for unanimity, vectorised)."""
    R = np.where(np.abs(R) <= tol[:, None], 0.0, R)
    up = np.where(valid, R > 0, True).all(axis=1)
    down = np.where(valid, R < 0, True).all(axis=1)
    some = valid.any(axis=1)
    lo = np.where(valid, R, np.inf).min(axis=1)
    hi = np.where(valid, R, -np.inf).max(axis=1)
    return np.where(some & up, lo, np.where(some & down, hi, 0.0))


def bloc_reaches(inst: Institutions, positions: np.ndarray, active: np.ndarray,
                 capability: np.ndarray) -> np.ndarray:
    """(blocs, m): every bloc's acceptance reach on every issue (0 without a status quo)."""
    m = len(inst.issue_ids)
    out = np.zeros((len(inst.blocs), m))
    tol = TOL * (inst.high - inst.low)
    sq = np.nan_to_num(inst.status_quo)
    for n, bloc in enumerate(inst.blocs):
        M = bloc.members
        if M.size == 0:
            continue
        if bloc.body.rule in ("unanimity", "consensus"):
            out[n] = _unanimity(2.0 * (positions[:, M] - sq[:, None]), active[:, M], tol)
        else:
            out[n] = [bloc_reach(inst, n, k, positions, active, capability)[0].value
                      for k in range(m)]
    out[:, ~np.isfinite(inst.status_quo)] = 0.0
    return out


def issue_reaches(inst: Institutions, positions: np.ndarray, active: np.ndarray,
                  capability: np.ndarray, blocs: np.ndarray | None = None) -> np.ndarray:
    """(m,): the reach of every issue's decision (the zone is ``q`` to ``q + reach``)."""
    return _issue_reaches(inst, positions, active, capability, blocs)[0]


def _issue_reaches(inst: Institutions, positions: np.ndarray, active: np.ndarray,
                   capability: np.ndarray, blocs: np.ndarray | None = None
                   ) -> tuple[np.ndarray, tuple[np.ndarray, tuple[np.ndarray, ...]] | None]:
    """:func:`issue_reaches`, and the array pieces of its unanimity issues (for
    :func:`analyse_issues`; None when there are none)."""
    m = len(inst.issue_ids)
    out = np.zeros(m)
    sq = inst.status_quo
    lay = inst.fast_layout
    on = lay["fast"] & np.isfinite(sq)
    vec = np.flatnonzero(on)
    pieces = None
    if vec.size:
        parts = _unanimous_reaches(inst, lay, vec, positions, active)
        out[vec] = parts[9]
        pieces = (vec, parts)
    rest = np.flatnonzero(~on & np.isfinite(sq))
    if rest.size and blocs is None:
        blocs = bloc_reaches(inst, positions, active, capability)
    for k in rest.tolist():
        dec = inst.decisions[k]
        if dec.body.rule not in ("unanimity", "consensus"):
            out[k] = issue_reach(inst, k, positions, active, capability)[0].value
            continue
        vals = []
        for kind, idx in dec.parties:
            if kind == "actor":
                if active[k, idx]:
                    vals.append(2.0 * (positions[k, idx] - sq[k]))
            elif active[k, inst.blocs[idx].members].any():
                vals.append(blocs[idx, k])
        if vals:
            v = np.array(vals)
            tol = TOL * (inst.high[k] - inst.low[k])
            v = np.where(np.abs(v) <= tol, 0.0, v)
            out[k] = v.min() if (v > 0).all() else v.max() if (v < 0).all() else 0.0
    return out, pieces


def zones(inst: Institutions, reach: np.ndarray) -> np.ndarray:
    """(m, 2): the zones of reaches ``reach`` (NaN rows where none), as :func:`_interval`."""
    sq = inst.status_quo
    end = np.clip(sq + reach, inst.low, inst.high)
    lo, hi = np.minimum(sq, end), np.maximum(sq, end)
    ok = np.isfinite(sq) & (reach != 0.0) & (hi - lo > TOL * (inst.high - inst.low))
    return np.where(ok[:, None], np.stack([lo, hi], axis=1), np.nan)


# ------------------------------------------------------------------------------------------
# judging a run's outcome, round by round

@dataclass
class Judgement:
    """What the institutions make of one round's outcome.

    ``codes`` (m,) use :data:`negsim.records.AGREEMENT_LABELS`: 1 agreed, 2 no agreement (a
    zone exists but the outcome is not in it), 3 no agreement because no zone exists, 4 blocked
    by linkage, 5 no status quo (nothing to judge against). ``decided`` is the outcome that
    holds: the bargained point where agreed (or where there is no status quo), else the status
    quo."""

    codes: np.ndarray
    zone: np.ndarray
    decided: np.ndarray
    details: Any            #: issue index -> IssueAgreement (worked out on first use)
    blocked: dict[int, dict[str, Any]]

    def log(self, previous: np.ndarray | None, issue_ids: Sequence[str]) -> list[dict[str, Any]]:
        """A run-log record for every issue whose agreement changed since ``previous``."""
        from .records import AGREEMENT_LABELS

        out = []
        codes = self.codes.tolist()
        changed = [k for k, code in enumerate(codes)
                   if previous is None or int(previous[k]) != code]
        self.details.prepare(changed)
        for k in changed:
            code = codes[k]
            a = self.details[k]
            rec = {"kind": "agreement", "issue": issue_ids[k], "status": AGREEMENT_LABELS[code],
                   "zone": None if a.zone is None else [a.zone[0], a.zone[1]],
                   "decisive": a.decisive, "blocked_by": a.blocked_by,
                   "blocking": a.blocking, "outcome": float(self.decided[k])}
            if k in self.blocked:
                rec["linkage"] = self.blocked[k]
            out.append(rec)
        return out


@dataclass(frozen=True)
class Zones:
    """The zones of every issue at one state, with what explains them (:func:`zones_at`)."""

    zone: np.ndarray        #: (m, 2), NaN rows where none
    details: Any            #: issue index -> IssueAgreement (worked out on first use)


def zones_at(inst: Institutions, positions: np.ndarray, active: np.ndarray,
             capability: np.ndarray) -> Zones:
    """The zone of every issue at ``positions`` (vectorised reaches); who decides or blocks
    each is worked out only when asked (``details[k]``)."""
    reach, pieces = _issue_reaches(inst, positions, active, capability)
    return Zones(zones(inst, reach),
                 _LazyDetails(inst, positions.copy(), active.copy(), capability.copy(),
                              len(inst.issue_ids), pieces))


def judge(inst: Institutions, positions: np.ndarray, active: np.ndarray,
          capability: np.ndarray, salience: np.ndarray, bargain: np.ndarray,
          at: Zones | None = None) -> Judgement:
    """Judge the bargained outcome ``bargain`` (m,) of a round against the zones at
    ``positions``: an issue is agreed when its outcome lies in its (closed) zone and differs
    from the status quo, and no package withholds it (module docstring). The zones come from
    the vectorised reaches; who decides or blocks each issue is worked out only when the log
    asks (:meth:`Judgement.log`). ``at``: :func:`zones_at` of these positions, participation
    and capabilities, when the caller has it already."""
    sq = inst.status_quo
    if at is None:
        at = zones_at(inst, positions, active, capability)
    zone = at.zone
    tol = TOL * (inst.high - inst.low) * 1e3
    has_sq = np.isfinite(sq)
    has_zone = np.isfinite(zone[:, 0])
    inside = has_zone & (zone[:, 0] - tol <= bargain) & (bargain <= zone[:, 1] + tol) \
        & (np.abs(bargain - np.nan_to_num(sq)) > tol)
    codes = np.where(~has_sq, 5, np.where(~has_zone, 3, np.where(inside, 1, 2))).astype(np.int8)
    decided = np.where(has_sq & (codes != 1), sq, np.asarray(bargain, dtype=float))
    blocked: dict[int, dict[str, Any]] = {}
    for pkg in inst.packages:
        deal = np.where(codes == 1, bargain, sq)
        deal = np.where(np.isfinite(deal), deal, bargain)
        violated = unmet_conditions(pkg, deal, tol)
        gain = package_gain(pkg, deal, sq, positions, salience, active) \
            if active[pkg.issues, pkg.actor].any() else 0.0
        if violated or gain <= 0.0:
            why = {"package": pkg.label or f"package of {inst.actor_ids[pkg.actor]}",
                   "actor": inst.actor_ids[pkg.actor],
                   "unmet": [{"issue": inst.issue_ids[pkg.conditions[c][0]],
                              "at_least": _finite(pkg.conditions[c][1]),
                              "at_most": _finite(pkg.conditions[c][2]),
                              "outcome": float(deal[pkg.conditions[c][0]])} for c in violated],
                   "gain": gain}
            for k in pkg.issues:
                if codes[k] == 1:
                    codes[k], decided[k] = 4, sq[k]
                    blocked[int(k)] = why
    return Judgement(codes, zone, decided, at.details, blocked)


class _LazyDetails:
    """The full :class:`IssueAgreement` of an issue, worked out on first use."""

    def __init__(self, inst, positions, active, capability, m, reaches=None) -> None:
        self.args = (inst, positions, active, capability)
        self.reaches = reaches
        self.done: dict[int, IssueAgreement] = {}
        self.m = m

    def prepare(self, ks: Sequence[int]) -> None:
        """Work out the issues ``ks`` together (:func:`analyse_issues`)."""
        todo = [k for k in ks if k not in self.done]
        if todo:
            self.done.update(analyse_issues(*self.args, issues=todo, reaches=self.reaches))

    def __getitem__(self, k: int) -> IssueAgreement:
        if k not in self.done:
            self.prepare([k])
        return self.done[k]

    def __len__(self) -> int:
        return self.m


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None
