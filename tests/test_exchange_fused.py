"""The compiled realisation loop of the exchange model (``negsim/rules/_exchange_fused.py``)
runs every exchange test again: the decide test vectors, the plain-loop oracle (1e-9), the
hypothesis properties and REX. Every round of every test takes the compiled loop (the
candidate threshold is lifted), and one more test checks it against the numpy loop, bit for
bit, on random cases of every variant."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

import negsim.rules.exchange as ex  # noqa: E402
from negsim.rules import get_rule, kernels  # noqa: E402

from .test_exchange import *  # noqa: E402,F401,F403 - the same tests, on the compiled loop


@pytest.fixture(autouse=True)
def _compiled_loop(monkeypatch):
    monkeypatch.setattr(ex, "FUSED_MIN_CANDIDATES", 0)
    with kernels.use_backend("fused"):
        yield


def _case(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 100, (m, n)), 4)
    s = np.round(rng.uniform(0.05, 1.0, (m, n)), 4)
    c = np.round(rng.uniform(0.5, 10.0, n), 4)
    act = rng.random((m, n)) > 0.1
    return x, s, c, act


@pytest.mark.parametrize("variant", [{}, {"variant": "rex", "p": 0.5}, {"variant": "rex", "p": 1.0},
                                     {"outcome_cap": "strict"}, {"outcome_cap": "off"}])
@pytest.mark.parametrize("n, m, seed", [(8, 3, 0), (20, 5, 1), (30, 6, 2)])
def test_compiled_loop_equals_the_numpy_loop(variant, n, m, seed):
    params = {**{p.name: p.default for p in get_rule("exchange").params}, **variant}
    x, s, c, act = _case(n, m, seed)
    # a tie on purpose: two actors with identical rows make equal-gain candidates
    x[:, 1], s[:, 1], c[1], act[:, 1] = x[:, 0], s[:, 0], c[0], act[:, 0]
    with kernels.use_backend("numpy"):
        ref = ex._play_round(x, s, c, act, params, np.random.default_rng(seed))
    got = ex._play_round(x, s, c, act, params, np.random.default_rng(seed))
    for a, b in zip(ref[:4] + ref[5:], got[:4] + got[5:]):
        np.testing.assert_array_equal(a, b)
    assert ref[4] == got[4]                   # the same exchanges, ties and records, in order
    assert any(r["kind"] == "exchange" for r in got[4])
    assert any(r["kind"] == "tie" for r in got[4])   # the draws among ties were exercised
