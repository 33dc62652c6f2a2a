"""The fused, compiled kernels (negsim.rules._eum_fused, negsim.rules._smp_fused) against the
numpy kernels, and the backend switch (negsim.rules.kernels).

The oracle agreement of each backend is in tests/test_eum_oracle.py and tests/test_smp_oracle.py
(parametrised over the backends); here fused and numpy are compared directly, on sizes the
oracles are too slow for, on every parameter variant, with absent actors, ties and the
pairwise diagnostics. numba compiles each kernel once per process (and loads its on-disk cache
in later ones): the ``fused`` fixture pays that once for the whole session.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given

import negsim
from negsim.errors import InputError
from negsim.rules import kernels
from negsim.rules.base import BargainingState, MoveKind
from negsim.rules.eum import RULE as EUM
from negsim.rules.smp import RULE as SMP

from .conftest import NATO, ROOT
from .test_eum_oracle import VARIANTS, issue_cases


@pytest.fixture(scope="session")
def fused_smp():
    """Import numba and compile the SMP passes once (skip the test where numba is absent)."""
    pytest.importorskip("numba")
    from negsim.rules import _smp_fused

    D = np.array([[0.0, 0.5], [0.5, 0.0]])
    _smp_fused.own_challenges("Prop", "SemiCommit", D, np.zeros((2, 2)), 1 - D, np.ones(2),
                              np.ones(2))
    _smp_fused.coalitions(1 - D, np.ones(2), "Prop")
    return _smp_fused


@pytest.fixture(scope="session")
def fused():
    """Import numba and compile the EUM kernel once (skip the test where numba is absent)."""
    pytest.importorskip("numba")
    from negsim.rules import _eum_fused

    x = np.array([[0.0, 50.0, 100.0]])
    _eum_fused.round_arrays(x, np.full((1, 3), 0.5), np.ones((1, 3)), np.ones((1, 3), bool),
                            np.array([100.0]), np.zeros(1), 1.0, "scholz",
                            "weighted_position", True, "two_pass", want_pairs=True)
    return _eum_fused


# ------------------------------------------------------------------------------------------
# the backend switch


@pytest.fixture
def fresh_backend():
    """Forget the resolved backend before and after the test (environment read afresh)."""
    kernels.set_backend(None)
    yield
    kernels.set_backend(None)


@pytest.mark.parametrize("value, expected", [("numpy", "numpy"), ("NumPy ", "numpy"),
                                             ("auto", None), ("", None)])
def test_backend_follows_the_environment(monkeypatch, fresh_backend, value, expected):
    monkeypatch.setenv(kernels.ENV_VAR, value)
    fused = "fused" if kernels.numba_available() else "numpy"
    if expected is not None:
        assert kernels.backend() == kernels.backend(10_000) == expected
        return
    # auto: numpy for small single runs, fused for large ones and in a sweep's workers
    assert kernels.setting() == "auto"
    assert kernels.backend(33) == "numpy"
    assert kernels.backend(kernels.AUTO_MIN_ACTORS) == fused
    try:
        kernels.batch(True)
        assert kernels.backend(33) == fused
    finally:
        kernels.batch(False)


def test_fused_from_the_environment_needs_numba(monkeypatch, fresh_backend):
    monkeypatch.setenv(kernels.ENV_VAR, "fused")
    if kernels.numba_available():
        assert kernels.backend() == "fused"
    else:
        with pytest.raises(InputError, match="numba"):
            kernels.backend()


def test_an_unknown_backend_is_an_input_error(monkeypatch, fresh_backend):
    monkeypatch.setenv(kernels.ENV_VAR, "gpu")
    with pytest.raises(InputError) as err:
        kernels.backend()
    assert "NEGSIM_KERNEL" in str(err.value) and "'gpu'" in str(err.value)
    with pytest.raises(ValueError, match="unknown kernel backend"):
        kernels.set_backend("gpu")


def test_override_wins_over_the_environment_and_is_restored(monkeypatch, fresh_backend):
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    assert kernels.backend() == "numpy"
    if kernels.numba_available():
        with kernels.use_backend("fused"):
            assert kernels.backend() == "fused"
    with kernels.use_backend("numpy"):
        assert kernels.backend() == "numpy"
    assert kernels.backend() == "numpy"


def test_importing_the_rules_and_the_help_do_not_import_numba():
    code = ("import sys, negsim, negsim.rules.eum, negsim.rules.smp, negsim.rules.kernels\n"
            "from negsim.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "negsim.get_rule('eum'); negsim.get_rule('smp')\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_numpy_backend_runs_without_numba():
    """With numba made unimportable, auto falls back to numpy and a run works."""
    code = ("import sys\nsys.modules['numba'] = None\n"
            "import negsim\nfrom negsim.rules import kernels\n"
            "assert kernels.backend() == 'numpy'\n"
            f"r = negsim.run({str(NATO)!r}, rounds=3, stop='never')\n"
            f"r = negsim.run({str(NATO)!r}, rounds=2, stop='never', rule='smp')\n"
            "print('ok')\n")
    env = {k: v for k, v in os.environ.items() if k != kernels.ENV_VAR}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr


def test_lazy_pair_info_computes_once_and_only_when_read():
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.zeros(2), "b": np.ones(2)}

    lazy = kernels.LazyArrays(("a", "b"), compute)
    assert "a" in lazy and "c" not in lazy and list(lazy) == ["a", "b"] and len(lazy) == 2
    assert not calls
    assert lazy.get("c") is None and not calls
    assert lazy["b"][0] == 1.0 and lazy.get("a")[0] == 0.0
    assert dict(lazy).keys() == {"a", "b"} and len(calls) == 1


# ------------------------------------------------------------------------------------------
# vectorisable exp and log


def test_vexp_and_vlog_agree_with_numpy_to_the_last_places(fused):
    rng = np.random.default_rng(0)
    t = np.concatenate([-rng.uniform(0, 1, 5000), -rng.uniform(0, 50, 5000),
                        -rng.uniform(700, 746, 200), [0.0, -0.0, -745.13, -746.0, -1e4, -np.inf,
                                                      0.5, 0.69]])
    got = np.empty_like(t)
    fused.vexp_array(t, got)
    want = np.exp(t)
    normal = want > 1e-300
    np.testing.assert_allclose(got[normal], want[normal], rtol=5e-16, atol=0)
    np.testing.assert_allclose(got[~normal], want[~normal], rtol=0, atol=1e-300)
    v = np.concatenate([rng.uniform(0, 1, 5000), rng.uniform(0, 1e-6, 1000),
                        [1.0, 0.5, 2.0, 1.5, 1e-310, 5e-324, 1.0 - 1e-16, np.nextafter(1, 2)]])
    got = np.empty_like(v)
    fused.vlog_array(v, got)
    np.testing.assert_allclose(got, np.log(v), rtol=5e-16, atol=5e-16)
    fused.vlog_array(np.zeros(1), got[:1])
    assert got[0] == -np.inf


# ------------------------------------------------------------------------------------------
# EUM: fused against numpy


def eum_rounds(backend, x, c, s, active, params, rounds, low=None, high=None):
    """Outcomes of ``rounds`` rounds on one backend (pair diagnostics read under it)."""
    m = x.shape[0]
    low = np.zeros(m) if low is None else low
    high = np.full(m, 100.0) if high is None else high
    p = EUM.resolve(params)[0]
    state = BargainingState(np.array(x, float), np.array(s, float), np.array(c, float),
                            np.array(active, bool), low, high, 1)
    state.memo = EUM.init(state, p)
    outs = []
    with kernels.use_backend(backend):
        for t in range(1, rounds + 1):
            state.round = t
            out = EUM.step(state, p, np.random.default_rng(0))
            out.pair_info = dict(out.pair_info)
            outs.append(out)
            state.positions = out.positions
    return outs


def knife_edge(out, x, active):
    """True if some receiver's decision sits within 1e-9 of an offer-class boundary or of a
    compromise-key tie between different destinations (rounding may decide either way)."""
    Eij, Eji = out.pair_info["eu_ij"], out.pair_info["eu_ji"]
    pair = ~np.isnan(Eij) & (x[:, :, None] != x[:, None, :])
    for margin in (Eji - Eij, Eij, Eji, Eji - np.abs(Eij)):
        if np.any(pair & (np.abs(margin) < 1e-9)):
            return True
    comp = pair & (Eji > 0) & (Eij < 0) & (Eji > np.abs(Eij))
    a, b = np.abs(Eij), np.abs(Eji)
    key = np.where(comp, (a * x[:, :, None] + b * x[:, None, :]) / np.where(comp, a + b, 1), np.inf)
    best = np.sort(key, axis=2)
    with np.errstate(invalid="ignore"):                           # inf - inf: no second offer
        return bool(np.any(np.isfinite(best[..., 1]) & (best[..., 1] - best[..., 0] < 1e-9)))


def assert_same_round(f, n, what):
    np.testing.assert_allclose(f.positions, n.positions, rtol=0, atol=1e-9,
                               err_msg=f"{what}: positions")
    np.testing.assert_array_equal(f.kind, n.kind, err_msg=f"{what}: kind")
    np.testing.assert_array_equal(f.partner, n.partner, err_msg=f"{what}: partner")
    assert f.kind.dtype == n.kind.dtype and f.partner.dtype == n.partner.dtype
    for store_f, store_n in ((f.actor_info, n.actor_info), (f.pair_info, n.pair_info)):
        assert store_f.keys() == store_n.keys()
        for name in store_n:
            np.testing.assert_allclose(store_f[name], store_n[name], rtol=0, atol=1e-9,
                                       err_msg=f"{what}: {name}")


def compare_backends(x, c, s, active, params, rounds, low=None, high=None):
    """Fused and numpy round by round until a knife edge; returns rounds compared."""
    x, c, s, active = (np.asarray(v, dtype=t) for v, t in
                       ((x, float), (c, float), (s, float), (active, bool)))
    fused_out = eum_rounds("fused", x, c, s, active, params, rounds, low, high)
    numpy_out = eum_rounds("numpy", x, c, s, active, params, rounds, low, high)
    start = x
    for t, (f, n) in enumerate(zip(fused_out, numpy_out)):
        if knife_edge(n, start, active):
            return t
        assert_same_round(f, n, f"round {t + 1} {params}")
        start = n.positions
    return rounds


@given(case=issue_cases(max_actors=9, max_issues=3))
def test_fused_matches_numpy_on_hypothesis_cases(fused, case):
    x, c, s, active, params = case
    compare_backends(x, c, s, active, params, rounds=3)


ALL_VARIANTS = [dict(zip(VARIANTS, values)) for values in itertools.product(*VARIANTS.values())]


@pytest.mark.parametrize("chunk", range(4))
def test_fused_matches_numpy_on_every_variant(fused, chunk):
    """All 216 combinations of the rule's parameters, on seeded random scenarios of up to 40
    actors and 7 issues with absent actors, several rounds each."""
    compared = 0
    for v, params in enumerate(ALL_VARIANTS[chunk::4]):
        rng = np.random.default_rng(1000 * chunk + v)
        n, m = int(rng.integers(3, 41)), int(rng.integers(1, 8))
        x = rng.uniform(0, 100, (m, n))
        if rng.random() < 0.3:
            x = np.round(x, -1)                     # equal positions and exact ties
        c = rng.uniform(0.05, 5, (m, n))
        s = rng.uniform(0.05, 1, (m, n))
        active = rng.random((m, n)) < 0.85
        active[:, :2] = True
        compared += compare_backends(x, c, s, active, params, rounds=3)
    assert compared >= 0.7 * 3 * len(ALL_VARIANTS[chunk::4])


def test_fused_matches_numpy_on_a_whole_flagship_run(fused):
    """Fifty rounds of the NATO-Russia scenario, pairs recorded, through the model."""
    runs = {}
    for backend in kernels.BACKENDS:
        with kernels.use_backend(backend):
            runs[backend] = negsim.run(NATO, rounds=50, stop="never", record_pairs=True)
    f, n = runs["fused"], runs["numpy"]
    np.testing.assert_allclose(f.positions, n.positions, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(f.kind, n.kind)
    for name in n.actor_info:
        np.testing.assert_allclose(f.actor_info[name], n.actor_info[name], rtol=0, atol=1e-9)
    for name in n.pair_info:
        np.testing.assert_allclose(f.pair_info[name], n.pair_info[name], rtol=0, atol=1e-9)


def test_ties_go_to_the_first_proposer_in_actor_order(fused):
    """Two proposers at the same distance on either side, identical in every respect: both
    backends pick the one listed first, whichever side it is on."""
    for order in ([0, 1, 2], [0, 2, 1]):
        x = np.array([[50.0, 40.0, 60.0]])[:, order]
        c = np.array([[1.0, 3.0, 3.0]])
        s = np.array([[0.5, 0.9, 0.9]])
        act = np.ones((1, 3), bool)
        outs = {b: eum_rounds(b, x, c, s, act, {}, 1)[0] for b in kernels.BACKENDS}
        assert outs["numpy"].partner[0, 0] == outs["fused"].partner[0, 0] == 1
        assert_same_round(outs["fused"], outs["numpy"], f"order {order}")


def test_absent_actors_are_left_out_and_reported_inactive(fused):
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, (3, 12))
    x[1, 4] = np.nan                                  # meaningless value in an inactive cell
    c, s = rng.uniform(1, 5, (3, 12)), rng.uniform(0.2, 1, (3, 12))
    active = np.ones((3, 12), bool)
    active[1, 4] = active[2, :5] = False
    out = eum_rounds("fused", x, c, s, active, {}, 1)[0]
    assert (out.kind[~active] == MoveKind.INACTIVE).all() and (out.partner[~active] == -1).all()
    assert np.isnan(out.actor_info["risk"][~active]).all()
    eu_ij = out.pair_info["eu_ij"]
    assert np.isnan(eu_ij[1, 4]).all() and np.isnan(eu_ij[1, :, 4]).all()
    assert np.isfinite(out.positions[active]).all()
    x[1, 4] = 0.0
    ref = eum_rounds("numpy", x, c, s, active, {}, 1)[0]
    out.positions[1, 4] = ref.positions[1, 4]                     # the meaningless cell
    assert_same_round(out, ref, "absent")


def test_work_buffers_are_reused_across_sizes_without_leaking_state(fused):
    """Rounds of other sizes in between do not change a round's result (buffers per n)."""
    rng = np.random.default_rng(9)
    cases = [(rng.uniform(0, 100, (m, n)), rng.uniform(1, 5, (m, n)), rng.uniform(0, 1, (m, n)),
              np.ones((m, n), bool)) for m, n in ((2, 7), (3, 20), (1, 7))]
    first = [eum_rounds("fused", *case, {}, 2) for case in cases]
    again = [eum_rounds("fused", *case, {}, 2) for case in reversed(cases)][::-1]
    for a, b in zip(first, again):
        for ra, rb in zip(a, b):
            np.testing.assert_array_equal(ra.positions, rb.positions)
            np.testing.assert_array_equal(ra.actor_info["security"], rb.actor_info["security"])


def test_pairs_are_computed_only_when_read(fused, monkeypatch):
    calls = []
    real = fused.pair_arrays
    monkeypatch.setattr(fused, "pair_arrays", lambda *a: calls.append(1) or real(*a))
    sc = negsim.load_scenario(NATO)
    with kernels.use_backend("fused"):
        negsim.run(sc, rounds=3, stop="never")
        assert not calls
        negsim.run(sc, rounds=3, stop="never", record_pairs=True)
        assert len(calls) >= 3


# ------------------------------------------------------------------------------------------
# SMP: fused against numpy

SMP_VARIANTS = {p.name: p.choices for p in SMP.params if p.choices}


def smp_turns(backend, pos, sal, cap, active, params, turns, seed=0):
    m = pos.shape[0]
    p = SMP.resolve(params)[0]
    state = BargainingState(pos.copy(), sal, cap, active, np.zeros(m), np.full(m, 100.0), 1)
    state.memo = SMP.init(state, p)
    rng = np.random.default_rng(seed)
    outs = []
    with kernels.use_backend(backend):
        for t in range(1, turns + 1):
            state.round = t
            out = SMP.step(state, p, rng)
            outs.append(out)
            state.positions = out.positions
    return outs


@pytest.mark.parametrize("rule", SMP_VARIANTS["voting_rule"])
@pytest.mark.parametrize("commit", SMP_VARIANTS["third_party_commit"])
def test_smp_fused_matches_numpy_on_every_vote_and_commit(fused_smp, rule, commit):
    """The compiled passes (targeting, coalitions) on 30 actors x 3 dimensions, three turns,
    with absent actors; the first turn's diagnostics exactly to 1e-9."""
    rng = np.random.default_rng(len(rule) * 7 + len(commit))
    m, n = 3, 30
    pos = rng.uniform(0, 100, (m, n))
    sal = rng.uniform(0.05, 1, (m, n))
    sal = sal / sal.sum(axis=0) * rng.uniform(0.5, 1.0, n)
    cap = np.tile(rng.uniform(1, 200, n), (m, 1))
    active = rng.random((m, n)) < 0.9
    active[0] = True
    params = {"voting_rule": rule, "third_party_commit": commit}
    f = smp_turns("fused", pos, sal, cap, active, params, 3)
    n_ = smp_turns("numpy", pos, sal, cap, active, params, 3)
    for name in n_[0].actor_info:
        np.testing.assert_allclose(f[0].actor_info[name], n_[0].actor_info[name], rtol=0,
                                   atol=1e-9, err_msg=name)
    if rule in ("Binary", "PropBin"):
        return        # binary votes turn rounding noise at equal utilities into choices
    for a, b in zip(f, n_):
        np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(a.partner, b.partner)


def test_smp_fused_reproduces_the_whole_ktab_40_actor_run(fused_smp):
    path = ROOT / "scenarios" / "ktab" / "dummyData-a040.csv"
    runs = {}
    for backend in kernels.BACKENDS:
        with kernels.use_backend(backend):
            runs[backend] = negsim.run(path)
    f, n = runs["fused"], runs["numpy"]
    assert f.positions.shape == n.positions.shape
    np.testing.assert_allclose(f.positions, n.positions, rtol=0, atol=1e-9)
    for name in n.actor_info:
        np.testing.assert_allclose(f.actor_info[name], n.actor_info[name], rtol=0, atol=1e-9)
