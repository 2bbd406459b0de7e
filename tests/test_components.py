"""Weight noise, Shapley estimators and data loaders against independently known values."""
import numpy as np
import pytest
import torch
from torch import nn

from mhlm_core import MHLMError
from mhlm_core.data import load_dataset
from mhlm_core.similarity.shapley import (channel_importance, permutation_attributions,
                                          shap_attributions)
from mhlm_core.training.noise import weight_noise


def test_weight_noise_scale_and_restore():
    lin = nn.Linear(200, 300)
    with torch.no_grad():
        lin.weight.uniform_(-0.5, 0.5)
        lin.weight[0, 0] = 2.0  # max |W| = 2
    clean = lin.weight.detach().clone()
    bias = lin.bias.detach().clone()
    gen = torch.Generator().manual_seed(0)
    with weight_noise(lin, 0.1, gen):
        delta = lin.weight.detach() - clean
        assert torch.equal(lin.bias, bias)  # biases are digital: no noise
    assert delta.std().item() == pytest.approx(0.1 * 2.0, rel=0.02)
    assert delta.mean().abs().item() < 0.005
    assert torch.equal(lin.weight, clean)


def test_weight_noise_gradient_reaches_clean_weights():
    lin = nn.Linear(3, 1, bias=False)
    with weight_noise(lin, 0.5, torch.Generator().manual_seed(1)):
        noisy = lin.weight.detach().clone()
        x = torch.ones(1, 3)
        lin(x).sum().backward()
    assert not torch.equal(noisy, lin.weight)
    assert torch.allclose(lin.weight.grad, torch.ones(1, 3))


def _linear_tail():
    torch.manual_seed(0)
    tail = nn.Linear(5, 3)
    background = torch.randn(40, 5)
    explain = torch.randn(6, 5)
    cls = tail(explain).argmax(1)
    # exact Shapley values of a linear function with a mean baseline: w_c (h_c - E h_c)
    exact = (tail.weight[cls] * (explain - background.mean(0))).detach().numpy()
    return tail, background, explain, exact


def test_permutation_shapley_exact_on_linear():
    tail, bg, ex, exact = _linear_tail()
    phi = permutation_attributions(tail, bg, ex, n_perm=3, seed=0)
    np.testing.assert_allclose(phi, exact, atol=1e-5)


def test_shap_gradient_explainer_close_on_linear():
    tail, bg, ex, exact = _linear_tail()
    phi = shap_attributions(tail, bg, ex, nsamples=400, seed=0)
    assert phi.shape == exact.shape
    assert np.corrcoef(phi.ravel(), exact.ravel())[0, 1] > 0.98


def test_channel_importance_normalised():
    phi = np.zeros((2, 3, 2, 2))
    phi[:, 0] = 1.0
    phi[:, 2] = -3.0
    assert channel_importance(phi) == pytest.approx([0.25, 0.0, 0.75])


def test_digits_dataset():
    d = load_dataset("digits", seed=0)
    assert d.sizes() == {"train": 1078, "val": 359, "test": 360}
    assert [t.name for t in d.tasks] == ["digit", "rotation", "loops"]
    y = d.y["train"]
    loops = np.isin(y["digit"], (0, 4, 6, 8, 9))
    assert np.array_equal(y["loops"], loops.astype(int))
    assert set(np.unique(y["rotation"])) == {0, 1, 2, 3}
    again = load_dataset("digits", seed=0)
    assert np.array_equal(d.x["test"], again.x["test"])
    # un-rotating an image gives back one of the sklearn images exactly
    from sklearn.datasets import load_digits
    raw = load_digits().images / 16.0
    img, k = d.x["train"][0, 0], y["rotation"][0]
    assert np.abs(raw - np.rot90(img, -k)).sum((1, 2)).min() < 1e-6


def _csv(tmp_path, text):
    p = tmp_path / "data.csv"
    p.write_text(text)
    return p


def test_csv_loads_and_codes_labels(tmp_path):
    rows = "\n".join(f"{i},{i % 3},{'yes' if i % 2 else 'no'},{i * 0.5}" for i in range(30))
    p = _csv(tmp_path, "f1,t1,t2,f2\n" + rows)
    d = load_dataset("csv", path=str(p), targets="t1,t2")
    assert [(t.name, t.n_classes) for t in d.tasks] == [("t1", 3), ("t2", 2)]
    assert d.input_shape == (2,)
    assert abs(d.x["train"].mean()) < 1e-5


@pytest.mark.parametrize("text,targets,message", [
    (None, "a,b", "file not found"),
    ("f,a,b\n1,0,1\n", "a,c", "no column"),
    ("f,a,b\nx,0,1\n" * 1, "a,b", "non-numeric"),
    ("f,a,b\n1,0,1\n", "a", "at least two target"),
    ("f,a,b\n1,0,1\n", "a,a", "named twice"),
    ("f,a,b\n", "a,b", "no data rows"),
    ("f,a,b\n" + "".join(f"{i},{i % 2},{i * 0.37}\n" for i in range(30)), "a,b", "non-integer"),
])
def test_csv_errors(tmp_path, text, targets, message):
    path = _csv(tmp_path, text) if text is not None else tmp_path / "nope.csv"
    with pytest.raises(MHLMError, match=message):
        load_dataset("csv", path=str(path), targets=targets)


def test_unknown_names():
    from mhlm_core.models import get_backbone
    with pytest.raises(MHLMError, match="unknown dataset"):
        load_dataset("imagenet")
    with pytest.raises(MHLMError, match="unknown backbone"):
        get_backbone("resnet1000")
