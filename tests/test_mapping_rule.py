"""The mapping rule on hand-made statistics: weighting, retention, tau monotonicity and the
stop-at-first-exceedance rule; the Pareto marking."""
import numpy as np
import pytest

from mhlm_core import MHLMError
from mhlm_core.mapping.mhlm_mapping import (channel_weights, choose, layer_scores, pareto,
                                            retention, shared_prefix)


def make_stats():
    """3 layers, 2 channels, 1 task pair, 2 tasks; perf_per_task rows are k = 0..3."""
    return {
        "pair_jsd": [[[0.01, 0.01]], [[0.10, 0.00]], [[0.02, 0.02]]],
        "importance": [[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]],
        "perf_per_task": [[0.8, 0.6], [0.8, 0.6], [0.72, 0.6], [0.4, 0.3]],
        "accounting": [{"shared_portion": p} for p in (0.0, 0.2, 0.5, 0.9)],
    }


def test_channel_weights():
    assert channel_weights([0.25, 0.75], 0.0) == pytest.approx([1.0, 1.0])
    assert channel_weights([0.25, 0.75], 1.0) == pytest.approx([0.5, 1.5])
    assert channel_weights([0.25, 0.75], 0.5) == pytest.approx([0.75, 1.25])


def test_scores_by_hand():
    st = make_stats()
    # retention: k=1 (1, 1) -> 1; k=2 (0.9, 1) -> 0.95; k=3 (0.5, 0.5) -> 0.5
    assert retention(st) == pytest.approx([1.0, 0.95, 0.5])
    sc = layer_scores(st, alpha=1.0, beta=0.0)
    # layer 2 at alpha=1: weights (0.5, 1.5) . (0.10, 0.00) = 0.05
    assert sc["jsd"] == pytest.approx([0.02, 0.05, 0.04])
    sc = layer_scores(st, alpha=0.0, beta=2.0)
    assert sc["score"] == pytest.approx([0.02 + 0.0, 0.10 + 2 * 0.05, 0.04 + 2 * 0.5])


def test_stop_at_first_exceedance():
    assert shared_prefix([0.01, 0.5, 0.01], tau=0.1) == 1
    assert shared_prefix([0.5, 0.01, 0.01], tau=0.1) == 0
    assert shared_prefix([0.01, 0.02, 0.03], tau=0.1) == 3
    assert shared_prefix([0.1, 0.1], tau=0.1) == 2  # <= tau is shared


def test_tau_monotone_and_choice():
    st = make_stats()
    ks = [choose(st, t, 0.5, 1.0)["k"] for t in np.linspace(0, 1.5, 61)]
    assert ks == sorted(ks) and ks[0] == 0 and ks[-1] == 3
    dec = choose(st, 0.03, 0.0, 0.0)
    assert dec["k"] == 1 and dec["perf"] == pytest.approx(0.7)


@pytest.mark.parametrize("tau,alpha,beta,field", [(-0.1, 0.5, 1, "tau"), (0.1, 1.5, 1, "alpha"),
                                                   (0.1, -0.1, 1, "alpha"), (0.1, 0.5, -1, "beta"),
                                                   (float("nan"), 0.5, 1, "tau")])
def test_impossible_thresholds(tau, alpha, beta, field):
    with pytest.raises(MHLMError, match=field):
        choose(make_stats(), tau, alpha, beta)


def test_pareto_marks_non_dominated():
    pts = pareto(make_stats(), np.linspace(0, 1.5, 31), [0.0, 1.0], [0.0, 1.0])
    by_k = {p["k"]: p for p in pts}
    assert set(by_k) == {0, 1, 2, 3}
    # k=0 (0 %, 0.7) is dominated by k=1 (20 %, 0.7); the others trade off
    assert not by_k[0]["pareto"]
    assert by_k[1]["pareto"] and by_k[2]["pareto"] and by_k[3]["pareto"]
