"""Build scenarios/nato_russia_2022.yaml from the NATO-Russia 2022 research pack.

Usage: python tools/build_nato_scenario.py [REFERENCE_DIR] > scenarios/nato_russia_2022.yaml

REFERENCE_DIR defaults to scenarios/sources/nato_russia_2022 (the research pack). The
numbers (positions, saliences, composite capability) are copied verbatim from
``scenario_positions.csv``; issue definitions and anchors follow RESEARCH.md section 4; sources
are the S/D keys of RESEARCH.md section 10. The generated file is committed; rerun this script
only when the research pack changes.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ISSUES = [
    ("I1", "Ukraine (and Georgia) NATO membership / open door", "Open door",
     "Binding ban on enlargement", "MAP now, accession within years",
     {25: "Moratorium or neutrality", 50: "Bucharest status quo", 75: "Accelerated path"},
     "0: a legally binding ban on any further enlargement including Ukraine and Georgia, the "
     "Bucharest 2008 formula revoked (US draft Art. 4; NATO draft Art. 6). 25: a long political "
     "moratorium on Ukrainian membership, or Ukrainian neutrality with outside guarantees. 50: "
     "status quo, the Bucharest 'will become members' pledge stands, no MAP, no timeline, open "
     "door reaffirmed. 75: accelerated path, MAP waived, invitation when Allies agree. 100: MAP "
     "now and accession within a few years. Russia's demand: 0; US/NATO offer of 26 Jan: 50."),
    ("I2", "Allied force posture on the eastern flank (post-1997 members)", "Eastern flank",
     "Roll back to 1997 posture", "Permanent forward defence",
     {25: "Freeze plus binding cap", 50: "2021 status quo (4 eFP)", 75: "Reinforcement"},
     "0: withdraw all non-host forces and weapons to the 27 May 1997 configuration (NATO draft "
     "Art. 4; Russian note of 17 Feb). 25: freeze plus a binding cap, no additional substantial "
     "combat forces. 50: status quo 2021, four eFP battlegroups plus rotational US forces. 75: "
     "reinforcement, more battlegroups and more US troops. 100: permanent, brigade-plus forward "
     "defence. Russia's demand: 0-5; US/NATO offer: about 60."),
    ("I3", "Intermediate/short-range ground-launched missiles and Aegis Ashore", "INF missiles",
     "Binding ban, Aegis Ashore removed", "US INF-range systems deployed",
     {25: "Verified reciprocal ban", 50: "Talks on limits + transparency", 75: "No talks"},
     "0: binding ban on INF-class deployment within reach, Mk-41/Aegis Ashore sites removed. 25: "
     "binding reciprocal ban or moratorium with verification. 50: political readiness to "
     "negotiate reciprocal limits plus a transparency mechanism (the US/NATO offer). 75: no "
     "talks, conventional long-range options kept open. 100: US INF-range systems deployed in "
     "Europe. Russia's demand: 5; US/NATO offer: 45-50."),
    ("I4", "Military exercises, activity near borders, CSBMs and risk reduction", "Exercises/CSBMs",
     "Binding cap zone along borders", "No constraints",
     {25: "Binding reciprocal limits", 50: "Reciprocal transparency", 75: "Ad hoc deconfliction"},
     "0: binding brigade-level cap zone along borders, no bombers or warships within strike range "
     "(US draft Art. 5; NATO draft Art. 7). 25: binding reciprocal limits on the size and "
     "location of exercises near borders. 50: reciprocal transparency, a modernised Vienna "
     "Document, lower notification thresholds, hotlines, incident-prevention talks. 75: only ad "
     "hoc deconfliction. 100: no constraints, existing regimes abandoned. Russia's demand: 10; "
     "US/NATO offer: 45-50."),
    ("I5", "Nuclear posture and strategic arms control", "Nuclear/arms control",
     "US nuclear weapons out of Europe", "Expand nuclear sharing",
     {25: "Talks incl. US NSNW in Europe", 50: "New START follow-on, sharing kept",
      75: "Status quo, no talks"},
     "0: all US nuclear weapons withdrawn from Europe, sharing infrastructure removed, no "
     "training of allies (US draft Art. 7). 25: comprehensive talks with US non-strategic nuclear "
     "weapons in Europe on the table. 50: New START follow-on talks now, nuclear sharing kept "
     "meanwhile (US offer). 75: status quo sharing, no talks during the crisis. 100: expand "
     "nuclear sharing eastward or add forward non-strategic weapons. Russia's demand: 10; US/NATO "
     "offer: 50-55."),
    ("I6", "Economic coercion: sanctions and Nord Stream 2 as leverage", "Sanctions/NS2",
     "No sanctions, NS2 certified", "Maximal sanctions now",
     {25: "Targeted sanctions, energy carve-outs", 50: "Severe sanctions if invasion",
      75: "Some sanctions now, NS2 cancelled"},
     "0: no new sanctions, 2014 sanctions lifted, Nord Stream 2 certified. 25: targeted or "
     "individual sanctions only, energy carve-outs, NS2 delinked. 50: severe financial and export "
     "sanctions pre-agreed but conditional on invasion; NS2 ends if invasion. 75: some sanctions "
     "now, NS2 cancelled now. 100: maximal, SWIFT exclusion, reserve freeze, energy embargo, "
     "secondary sanctions. Russia's demand: 0; US about 60, EU/Germany about 35-50."),
    ("I7", "Western military support to Ukraine / Allied military activity in Ukraine",
     "Support to Ukraine", "No Allied military activity in Ukraine",
     "Allied forces or binding guarantee",
     {25: "Non-lethal aid only", 50: "Limited defensive lethal aid", 75: "Large-scale lethal aid"},
     "0: no Allied military activity, bases, bilateral military cooperation or arms with "
     "Ukraine (NATO draft Art. 7; US draft Art. 4). 25: non-lethal aid only. 50: limited "
     "defensive lethal aid and trainers; reciprocal ban on offensive missiles and permanent "
     "combat forces in Ukraine (US offer). 75: large-scale lethal aid including artillery and air "
     "defence. 100: Allied forces stationed in Ukraine, or a binding security guarantee. Russia's "
     "demand: 0; US about 55-60, NATO about 45."),
]

SPECIAL_IDS = {"NATO (alliance/NAC)": "nac"}

# The status quo of each issue on 12 January 2022 (the reversion point if nothing is agreed),
# with a flag (as for actors: S documented, S/J partly, J judgment), sources and the reasoning.
STATUS_QUO = {
    "I1": (50, "S", ["S19", "S5"],
           "The Bucharest 2008 pledge stood (Ukraine and Georgia 'will become members'), with no "
           "MAP and no timeline; the Allies reaffirmed the open door at the NRC: the pack's own "
           "status-quo anchor (RESEARCH.md section 4)."),
    "I2": (50, "S", ["S8", "S10"],
           "Four eFP battlegroups (PL, EE, LV, LT) plus rotational US forces: the 2021 posture. "
           "The reinforcements (8,500 on alert, 3,000 sent) came after the NRC (24 Jan, 2 Feb)."),
    "I3": (75, "S/J", ["S3", "S7"],
           "The INF Treaty had lapsed in 2019 ('the defunct INF Treaty', S3); no talks on "
           "INF-class missiles were under way and long-range options were kept open, but no US "
           "INF-range systems were deployed in Europe: the 75 anchor. Talks on reciprocal limits "
           "were only offered (10 Jan, 26 Jan)."),
    "I4": (70, "J", ["S6", "S7"],
           "The 2011 Vienna Document was in force but unmodernised and Open Skies was gone; "
           "lower thresholds, hotlines and incident-prevention talks were only offered (26 Jan). "
           "Between reciprocal transparency (50) and ad hoc deconfliction only (75), nearer the "
           "latter: a judgment."),
    "I5": (65, "J", ["S3", "S7"],
           "New START was extended to 2026 (Feb 2021) and the Strategic Stability Dialogue met "
           "in 2021 and on 10 Jan, but no follow-on negotiation was open (offered 'immediately' "
           "on 26 Jan) and nuclear sharing was unchanged: between 50 and 75, a judgment."),
    "I6": (40, "S/J", ["S11", "S18", "S24"],
           "The 2014 sanctions were in force and Nord Stream 2 was built but not certified; "
           "severe sanctions were threatened, not agreed (Germany would not name NS2 before "
           "7 Feb; certification halted 22 Feb): between 25 and 50."),
    "I7": (50, "S", ["S17", "S27"],
           "Limited defensive lethal aid and trainers: US Javelins since 2018, the $200m package "
           "of December 2021, UK NLAWs from 17 January: the 50 anchor."),
}

# Who must agree (RESEARCH.md sections 1, 2 and 4): on European security the US would not
# negotiate without its Allies (Geneva, 10 Jan, S3) and NATO decides by consensus, so the
# default parties are NATO (a consensus bloc) and Russia. Strategic arms control (I5) was a
# US-Russia matter: the US draft treaty's Art. 7 and the offer of New START follow-on talks.
DECISION_I5 = ("united_states", "russia", "J", ["S2", "S7"],
               "Strategic arms control between the two nuclear powers: the US-Russia draft "
               "treaty (Art. 7) and the bilateral offer of New START follow-on talks. Nuclear "
               "sharing touches Allies too; modelled as a US-Russia matter (a judgment).")
# Russia's package: the drafts of 17 Dec 2021 as one (S14: the US 'cherry-picked' from a
# package), with Putin's three key demands of 1 Feb (S13) as red lines. The drafts demanded
# 0 (legally binding); the bounds below are the most lenient reading, the 25 anchors.
LINKAGE = {
    "actor": "russia",
    "issues": ["I1", "I2", "I3", "I4", "I5", "I7"],
    "conditions": [("I1", 25, "at least a long moratorium on enlargement, or neutrality"),
                   ("I2", 25, "at least a freeze and a binding cap on eastern-flank forces"),
                   ("I7", 25, "at least no lethal aid to Ukraine")],
}
BLOCS = {"Russia": "Russia", "Ukraine": "Ukraine", "NATO (alliance/NAC)": "NATO institution"}


def actor_id(name: str) -> str:
    return SPECIAL_IDS.get(name) or re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def q(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_sources(research: str) -> list[tuple[str, str, list[str]]]:
    out = []
    for line in research.splitlines():
        match = re.match(r"^- ([SD]\d+): (.*)$", line)
        if not match:
            continue
        key, rest = match.groups()
        urls = re.findall(r"https?://[^\s;]+", rest)
        text = re.sub(r"https?://[^\s;]+", "", rest)
        text = re.sub(r"\s*;\s*", "; ", text)
        text = re.sub(r"(;\s*)+", "; ", text).strip(" ;:")
        text = re.sub(r"\s+", " ", text).replace(" :", ":").replace(":;", ":")
        out.append((key, text, urls))
    return out


def main() -> None:
    here = Path(__file__).resolve().parent.parent
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        here / "scenarios" / "sources" / "nato_russia_2022"
    rows = list(csv.DictReader(open(ref / "scenario_positions.csv", encoding="utf-8")))
    sources = read_sources((ref / "RESEARCH.md").read_text(encoding="utf-8"))
    cols = [c[:-4] for c in rows[0] if c.endswith("_pos")]
    assert [c.split("_")[0] for c in cols] == [i[0] for i in ISSUES], cols

    w = sys.stdout.write
    w("# NATO-Russia Council, 12 January 2022 (with the Geneva Strategic Stability Dialogue of\n"
      "# 10 January and the OSCE Permanent Council of 13 January): the state of play around\n"
      "# 12 January 2022 on seven issues, for 30 Allies, the NATO institution, Russia and Ukraine.\n"
      "#\n"
      "# Generated by tools/build_nato_scenario.py from the negsim research pack\n"
      "# (scenarios/sources/nato_russia_2022: RESEARCH.md, scenario_positions.csv,\n"
      "# capability_2021.csv). Edit the pack and regenerate rather than editing numbers here.\n"
      "#\n"
      "# JUDGMENT CALLS (read before citing a forecast):\n"
      "# - Saliences are on 0-1 (the pack's 0-100 values divided by 100), so\n"
      "#   --set actors.germany.issues.I6.salience=0.9 means 90%.\n"
      "# - Every salience, and the conversion of every stance to a 0-100 number, is the analyst's\n"
      "#   judgment, even where the direction of a stance is documented. Each actor's `flag` says\n"
      "#   how well its stance is sourced: S = direction documented in the cited sources;\n"
      "#   S/J = partly documented, inference fills the gaps; J = judgment, no specific source.\n"
      "# - Capability is a composite: 0.5 x share of SIPRI military expenditure 2021 + 0.25 x\n"
      "#   share of World Bank GDP 2021 + 0.25 x share of COW CINC (NMC v7, 2021), within the 32\n"
      "#   states, rescaled so the US = 100. The weighting is a judgment; alternatives worth a\n"
      "#   run: CINC alone, milex alone, GDP alone (arguably better for I6, e.g.\n"
      "#   --set actors.germany.capability_by_issue.I6=18.3), or sqrt(capability).\n"
      "# - The NATO institution (NAC and Secretary General, id `nac`) is the NATO bloc's broker:\n"
      "#   it tables the bloc's position within what all 30 Allies accept and holds no\n"
      "#   capability of its own (0), so that members are not double-counted.\n"
      "# - Croatia is a blend of its president and government, who disagreed (see its notes).\n"
      "# - INSTITUTIONS (docs/institutions.md). Each issue has a status quo (the reversion point\n"
      "#   if nothing is agreed) with its own flag and sources. NATO is a bloc deciding by\n"
      "#   consensus, so every Ally holds a veto; an agreement needs NATO and Russia (the US\n"
      "#   would not negotiate European security without its Allies, S3), except strategic arms\n"
      "#   control (I5), a US-Russia matter (a judgment). Runs bargain in two levels: inside\n"
      "#   NATO first, then NATO, Russia and Ukraine. Ukraine takes part in the bargaining but\n"
      "#   holds no veto (a judgment: the drafts were addressed to the US and NATO).\n"
      "# - LINKAGE. Russia declared its drafts one package (S14) and named three key demands\n"
      "#   (S13); the package's red lines are the lenient 25 anchors of I1, I2 and I7 (the drafts\n"
      "#   asked for 0). Without linkage: --set 'linkage=[]' (or the variant file\n"
      "#   nato_russia_2022_no_linkage.yaml). Flat, wave-1 style bargaining with no\n"
      "#   institutions: --set model.institutions=off.\n\n")
    w("negsim: 1\n\nmetadata:\n")
    w("  title: NATO-Russia Council, January 2022\n")
    w("  date: 2022-01-12\n")
    w("  description: >-\n"
      "    The week of 10-13 January 2022: the US-Russia Strategic Stability Dialogue in Geneva\n"
      "    (10 Jan), the NATO-Russia Council in Brussels (12 Jan, the first in about two and a half\n"
      "    years) and the OSCE Permanent Council in Vienna (13 Jan), on Russia's draft treaties of\n"
      "    17 December 2021. Positions are the state of play around 12 January on seven issues\n"
      "    scaled 0-100, where 0 is Russia's December 2021 draft demand and 100 the maximal\n"
      "    opposite; the US/NATO written offer of 26 January sits near 45-60 on every issue.\n"
      "    Russia's three core items (I1, I2, I7) had no zone of agreement; the arms-control and\n"
      "    risk-reduction items (I3, I4, I5) had a visible bargaining range.\n")
    w("  notes: >-\n"
      "    Every salience and every 0-100 position is a judgment (see the file header and each\n"
      "    actor's flag). Capability: composite of SIPRI milex, World Bank GDP and COW CINC 2021\n"
      "    (US = 100). Research pack compiled for negsim from public sources.\n")
    w("  sources:\n")
    for key, text, urls in sources:
        w(f"    - key: {key}\n      citation: {q(text)}\n")
        if urls:
            w("      urls:\n" + "".join(f"        - {u}\n" for u in urls))
    w("\nsalience_scale: unit   # saliences are the pack's 0-100 values divided by 100\n\n")
    w("issues:\n")
    for iid, name, short, low, high, anchors, desc in ISSUES:
        w(f"  {iid}:\n    name: {q(name)}\n    short: {q(short)}\n")
        w(f"    description: {q(desc)}\n")
        w("    scale: {low: 0, high: 100}\n")
        w(f"    ends:\n      low: {q(low)}\n      high: {q(high)}\n")
        w("    anchors: {" + ", ".join(f"{k}: {q(v)}" for k, v in anchors.items()) + "}\n")
        sq, flag, srcs, why = STATUS_QUO[iid]
        w(f"    status_quo: {sq}\n    status_quo_flag: {q(flag)}\n")
        w("    status_quo_sources: [" + ", ".join(srcs) + "]\n")
        w(f"    status_quo_note: {q(why)}\n")
        if iid == "I5":
            a, b, dflag, dsrcs, dwhy = DECISION_I5
            w(f"    decision:\n      rule: unanimity\n      parties: [{a}, {b}]\n"
              f"      flag: {q(dflag)}\n      sources: [" + ", ".join(dsrcs) + "]\n"
              f"      notes: {q(dwhy)}\n")
    w("\nactors:\n")
    for row in rows:
        name = row["actor"]
        aid = actor_id(name)
        w(f"  {aid}:\n    name: {q(name)}\n    bloc: {BLOCS.get(name, 'NATO')}\n")
        cap = 0.0 if aid == "nac" else float(row["capability_0_100"])
        w(f"    capability: {cap:g}\n")
        w(f"    flag: {q(row['flag'])}\n")
        srcs = [s.strip() for s in row["sources"].split(",") if s.strip()]
        w("    sources: [" + ", ".join(srcs) + "]\n")
        w(f"    notes: {q(row['rationale'])}\n")
        w("    issues:\n")
        for col in cols:
            iid = col.split("_")[0]
            w(f"      {iid}: {{position: {float(row[col + '_pos']):g}, "
              f"salience: {float(row[col + '_sal']) / 100:g}}}\n")
    w("\nblocs:\n  nato:\n    name: NATO\n    rule: consensus\n    broker: nac\n"
      "    flag: S\n    sources: [S5, S6]\n"
      "    notes: \"The North Atlantic Council decides by consensus: each of the 30 Allies holds a "
      "veto. Members are the actors labelled bloc NATO; the NAC and Secretary General broker.\"\n")
    w("\ndecision:\n  rule: unanimity\n  parties: [nato, russia]\n  flag: S\n"
      "  sources: [S3, S5]\n  notes: \"An agreement needs NATO (by consensus) and Russia; the US "
      "refused to discuss European security without its Allies (Geneva, 10 Jan).\"\n")
    w(f"\nlinkage:\n  - actor: {LINKAGE['actor']}\n"
      "    label: \"Russia's draft treaties of 17 December 2021 as one package\"\n"
      "    issues: [" + ", ".join(LINKAGE["issues"]) + "]\n    conditions:\n")
    for iid, bound, note in LINKAGE["conditions"]:
        w(f"      - {{issue: {iid}, at_most: {bound}, note: {q(note)}}}\n")
    w("    flag: S/J\n    sources: [S13, S14]\n"
      "    notes: \"The 17 Feb reply accused the US of cherry-picking from a package; Putin (1 Feb) "
      "said the three key demands were ignored. The bounds are a judgment.\"\n")
    w("\nmodel:\n  rule: eum\n  max_rounds: 100\n  stop: auto\n  tolerance: 0.01\n"
      "  patience: 3\n  seed: 20220112\n")


if __name__ == "__main__":
    main()
