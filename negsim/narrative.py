"""Explanations for people: why actors moved, in plain words first and numbers second.

Everything here reads a finished :class:`~negsim.result.RunResult` (its per-actor records, the
plenary of a two-level run, and the run log), never the model.

* :func:`moves`: every accepted offer as a record (round, issue, actor, kind, partner, from,
  to, the rule's diagnostics, the level), largest first.
* :func:`narrative`: the largest moves as sentences, then what the institutions made of every
  issue; a rule may narrate in its own terms (``Rule.narrative``, e.g. the exchange model).
* :func:`actor_story`: one actor's story, round by round.
* :data:`LEGEND`: the terms the sentences use.

The expected-utility rule's offers (Scholz et al. 2011, fig. 6) in words, for a receiver ``i``
and a proposer ``j`` with ``E_ij`` (what ``i`` expects from challenging ``j``) and ``E_ji``
(what ``j`` expects from challenging ``i``, seen by ``i``):

* confrontation (``E_ji > E_ij > 0``): both expected to gain from a challenge, ``j`` more, so
  ``i`` gave way to ``j``'s position;
* compromise (``E_ji > 0 > E_ij``, ``E_ji > |E_ij|``): ``j``'s challenge looked worth more to
  ``j`` than resisting it did to ``i``, so ``i`` met ``j`` part of the way;
* capitulation (``E_ji > 0 > E_ij``, ``E_ji <= |E_ij|``): ``i`` expected to lose a contest that
  ``j`` expected to win, and gave in to ``j``'s position.

Two expected utilities that agree to within 1e-9 (of the model's -2..2 range) are reported as
a tie, with the rule that decided it (``Eji > Eij`` is strict, so a tie is not a
confrontation: what decided it was the last few digits).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .records import AGREEMENT_LABELS
from .rules.base import MoveKind

if TYPE_CHECKING:  # pragma: no cover
    from .result import RunResult

__all__ = ["moves", "narrative", "actor_story", "LEGEND", "describe_move"]

_KIND = {int(k): k.label for k in MoveKind}
TIE = 1e-9

LEGEND = {
    "E(own challenge)": "what the actor that moved expected to gain (or lose, if negative) by "
                        "challenging the other: the expected-utility model's units, -2 to 2",
    "E(other's)": "what the other actor expected from challenging it, as the mover saw it",
    "confrontation": "both expected to gain from a challenge and the other more, so the mover "
                     "gave way to the other's position",
    "compromise": "the other's challenge looked worth more to the other than resisting it did "
                  "to the mover, so the mover went part of the way",
    "capitulation": "the mover expected to lose a contest the other expected to win, and gave in",
    "bargain": "the mover adopted its side of a bargain it had struck (SMP)",
    "exchange": "the mover gave way on an issue it cares less about, for the other's move on "
                "one it cares more about (exchange model)",
    "caucus": "bargaining among the members of a bloc only",
    "plenary": "bargaining among the blocs (each as one party) and the actors in no bloc",
    "zone": "the outcomes every party whose consent is needed prefers to the status quo",
}


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def moves(result: "RunResult") -> list[dict[str, Any]]:
    """Every accepted offer: round, issue, actor, kind, partner, from, to, level, the rule's
    per-actor diagnostics (e.g. both expected utilities); largest moves first. In a two-level
    run the plenary's moves come with the bloc or actor they were made with."""
    r = result
    out = []
    levels = r.plenary is not None
    for t in range(1, r.rounds_run + 1):
        ks, iss = np.nonzero(r.partner[t] >= 0)
        for k, i in zip(ks.tolist(), iss.tolist()):
            j = int(r.partner[t, k, i])
            rec = {"round": t, "issue": r.issue_ids[k], "actor": r.actor_ids[i],
                   "kind": _KIND[int(r.kind[t, k, i])], "partner": r.actor_ids[j],
                   "from": float(r.start[t, k, i]), "to": float(r.positions[t, k, i]),
                   "partner_position": float(r.start[t, k, j]),
                   "level": _level(r, i) if levels else None}
            for name, arr in r.actor_info.items():
                rec[name] = _finite(arr[t, k, i])
            out.append(rec)
        if levels:
            pl = r.plenary
            ks, ps = np.nonzero((pl.partner[t] >= 0) & pl.is_bloc[None, :])
            for k, p in zip(ks.tolist(), ps.tolist()):
                j = int(pl.partner[t, k, p])
                out.append({"round": t, "issue": r.issue_ids[k], "actor": pl.ids[p],
                            "kind": _KIND[int(pl.kind[t, k, p])], "partner": pl.ids[j],
                            "from": float(pl.positions[t - 1, k, p]),
                            "to": float(pl.positions[t, k, p]),
                            "partner_position": float(pl.positions[t - 1, k, j]),
                            "level": "plenary", "clamped": bool(pl.clamped[t, k, p])})
            # actors in no bloc who moved toward a bloc
            ks, ps = np.nonzero((pl.partner[t] >= 0) & ~pl.is_bloc[None, :])
            for k, p in zip(ks.tolist(), ps.tolist()):
                j = int(pl.partner[t, k, p])
                if not pl.is_bloc[j]:
                    continue        # actor-to-actor: already listed from the actor records
                out.append({"round": t, "issue": r.issue_ids[k], "actor": pl.ids[p],
                            "kind": _KIND[int(pl.kind[t, k, p])], "partner": pl.ids[j],
                            "from": float(pl.positions[t - 1, k, p]),
                            "to": float(pl.positions[t, k, p]),
                            "partner_position": float(pl.positions[t - 1, k, j]),
                            "level": "plenary"})
    out.sort(key=lambda m: (-abs(m["to"] - m["from"]), m["round"], m["issue"], m["actor"]))
    return out


def _level(r: "RunResult", slot: int) -> str:
    pl = r.plenary
    if pl is None:
        return ""
    if slot in set(pl.slots[~pl.is_bloc].tolist()):
        return "plenary"
    for bid in pl.ids:
        if bid in r.scenario.blocs and r.actor_ids[slot] in r.scenario.bloc_members(bid):
            return f"caucus:{bid}"
    return ""


def _name(r: "RunResult", party: str) -> str:
    try:
        return r.scenario.party_name(party)
    except KeyError:
        return party


def describe_move(r: "RunResult", mv: dict[str, Any]) -> str:
    """One move in words: plain words, then the numbers in brackets."""
    who, other = _name(r, mv["actor"]), _name(r, mv["partner"])
    issue = r.scenario.issues[mv["issue"]].label
    kind = mv["kind"]
    plain = {
        "confrontation": f"{who} and {other} both expected to gain from a challenge, {other} "
                         f"more, so {who} gave way to {other}'s position",
        "compromise": f"{other}'s challenge looked worth more to {other} than resisting it did "
                      f"to {who}, so {who} met {other} part of the way",
        "capitulation": f"{who} expected to lose a contest that {other} expected to win, and "
                        f"gave in to {other}'s position",
        "bargain": f"{who} adopted its bargain with {other}",
        "exchange": f"{who} gave way in an exchange with {other}",
    }.get(kind, f"{who}: {kind} with {other}")
    where = ""
    if mv.get("level"):
        lv = mv["level"]
        where = " (in the plenary)" if lv == "plenary" else \
            f" (inside {_name(r, lv.split(':', 1)[1])})" if lv.startswith("caucus:") else ""
    numbers = f"{mv['from']:.4g} -> {mv['to']:.4g}"
    a, b = mv.get("eu_self"), mv.get("eu_partner")
    if a is not None and b is not None:
        if abs(a - b) <= TIE * max(1.0, abs(a), abs(b)):
            numbers += (f"; a tie: both expected {a:+.3f} from a challenge, and the rule's strict "
                        f"test (the other's must be larger) decided it by {abs(b - a):.1g}")
        elif f"{a:+.3f}" == f"{b:+.3f}":
            digits = 4
            while digits < 12 and f"{a:+.{digits}f}" == f"{b:+.{digits}f}":
                digits += 1
            numbers += (f"; a near tie: E(own challenge) {a:+.{digits}f}, E({other}'s) "
                        f"{b:+.{digits}f}, a difference of {abs(b - a):.1g} that decided it")
        else:
            numbers += f"; E(own challenge) {a:+.3f}, E({other}'s) {b:+.3f}"
    if mv.get("clamped"):
        numbers += f"; cut back to what all of {who}'s members accept"
    return f"round {mv['round']}, {issue}{where}: {plain} [{numbers}]"


def agreement_lines(r: "RunResult") -> list[str]:
    """One line per issue (one per package for the issues linkage withholds) on what the
    institutions made of it."""
    if r.agreement is None:
        return []
    lines = []
    linked: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for k, iid in enumerate(r.issue_ids):
        rec = r.agreement_record(k)
        issue = r.scenario.issues[iid]
        label = issue.label
        status = rec["agreement"]
        if rec["status_quo"] is None:
            continue
        if status == "agreed":
            z = rec["zone"]
            lines.append(f"{label}: agreed at {r.forecast_series[-1, k]:.4g} from round "
                         f"{rec['agreement_round']} (zone {z[0]:.4g}-{z[1]:.4g}; its edge is "
                         f"set by {_names(r, rec['decisive'])})")
        elif status == "blocked by linkage":
            link = rec.get("linkage") or {}
            linked.setdefault(link.get("package", "a package"), []).append((k, rec))
        elif status == "no agreement: no zone":
            last = next((x for x in reversed(r.log) if x.get("kind") == "agreement"
                         and x.get("issue") == iid), {})
            blocking = last.get("blocking") or {}
            ends = issue.ends
            parts = []
            for key, end in (("toward_low", ends.low if ends else "lower"),
                             ("toward_high", ends.high if ends else "higher")):
                if blocking.get(key):
                    parts.append(f"toward '{end}' by {_names(r, blocking[key], 4)}")
            lines.append(f"{label}: no agreement is possible: every move from the status quo "
                         f"({rec['status_quo']:g}) is vetoed by some party whose consent is "
                         f"needed" + (": " + "; ".join(parts) if parts else ""))
        elif status == "no agreement":
            z = rec["zone"]
            lines.append(f"{label}: no agreement: the bargaining ended at {rec['bargain']:.4g}, "
                         f"outside the zone {z[0]:.4g}-{z[1]:.4g}; the status quo "
                         f"{rec['status_quo']:g} stands")
    for package, items in linked.items():
        link = items[0][1].get("linkage") or {}
        unmet = "; ".join(
            (f"{r.scenario.issues[u['issue']].label} at most {u['at_most']:g}"
             if u.get("at_most") is not None else
             f"{r.scenario.issues[u['issue']].label} at least {u['at_least']:g}")
            + f" (it stays at {u['outcome']:.4g})" for u in link.get("unmet", []))
        names = ", ".join(f"{r.scenario.issues[r.issue_ids[k]].label} {rec['bargain']:.4g}"
                          f" in {rec['zone'][0]:.4g}-{rec['zone'][1]:.4g}" for k, rec in items)
        lines.append(f"{', '.join(r.scenario.issues[r.issue_ids[k]].label for k, _ in items)}: "
                     f"no agreement although the bargain lies in the zone ({names}): "
                     f"{_name(r, link.get('actor', '?'))} accepts them only as part of "
                     f"{package}" + (f", whose red lines are not met: {unmet}" if unmet
                                     else ", which as a whole gains it nothing")
                     + "; the status quo stands")
    return lines


def _names(r: "RunResult", ids: list[str], most: int = 6) -> str:
    names = [_name(r, i) for i in ids]
    if not names:
        return "nobody"
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most
                                      else "")


def narrative(result: "RunResult", limit: int = 5) -> list[str]:
    """The ``limit`` largest moves in words (the rule's own account when it has one), then one
    line per issue on what the institutions made of it (runs with institutions)."""
    from .rules import UnknownRule, get_rule

    try:
        rule = get_rule(result.rule)
    except UnknownRule:
        rule = None
    if rule is not None and rule.narrative is not None:
        lines = list(rule.narrative(result, limit))
    else:
        lines = [describe_move(result, mv) for mv in moves(result)[:limit]]
    return lines + agreement_lines(result)


def actor_story(result: "RunResult", actor_id: str, issue_id: str | None = None) -> list[str]:
    """One actor's story: every round in which it moved (or was cut back, as a bloc), in words,
    on one issue or all; then what the institutions made of the issues it vetoes or decides."""
    r = result
    from .rules import UnknownRule, get_rule

    known = set(r.actor_ids) | set(r.plenary.ids if r.plenary is not None else [])
    if actor_id not in known:
        raise KeyError(actor_id)
    if issue_id is not None and issue_id not in r.issue_ids:
        raise KeyError(issue_id)
    try:
        rule = get_rule(r.rule)
    except UnknownRule:
        rule = None
    lines: list[str] = []
    if rule is not None and rule.narrative is not None:
        try:
            lines = list(rule.narrative(r, 10_000, actor=actor_id, issue=issue_id))
        except TypeError:
            lines = []
    if not lines:
        own = [mv for mv in moves(r) if mv["actor"] == actor_id
               and (issue_id is None or mv["issue"] == issue_id)]
        own.sort(key=lambda m: (m["round"], r.issue_ids.index(m["issue"])))
        lines = [describe_move(r, mv) for mv in own]
    name = _name(r, actor_id)
    if not lines:
        lines = [f"{name} did not move" + (f" on {r.scenario.issues[issue_id].label}"
                                            if issue_id else "")
                 + f" in {r.rounds_run} round{'s' if r.rounds_run != 1 else ''}"]
    if r.agreement is not None:
        for k, iid in enumerate(r.issue_ids):
            if issue_id is not None and iid != issue_id:
                continue
            rec = r.agreement_record(k)
            label = r.scenario.issues[iid].label
            if actor_id in rec["decisive"]:
                lines.append(f"{label}: {name} is the most reluctant party whose consent is "
                             f"needed: it sets the edge of the zone")
            if actor_id in rec["blocked_by"]:
                lines.append(f"{label}: {name} vetoes every move toward the other side "
                             f"({AGREEMENT_LABELS[int(r.agreement[-1, k])]})")
    return lines
