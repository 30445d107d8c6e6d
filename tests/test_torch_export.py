"""PyTorch export: an nn.Sequential of bias-free nn.Linear layers becomes an exact point.

Runs where torch is installed (it is an optional extra); the refusals that need no torch
are tested with stand-in objects, so they run everywhere."""
from fractions import Fraction

import pytest

import landscape_proofs as lp
from landscape_proofs.families.arrays import point_from_torch
from landscape_proofs.kernel.errors import InputError


class _Weight:
    def __init__(self, rows):
        import numpy as np

        self.rows = np.array(rows, dtype=float)

    def detach(self):
        return self

    def cpu(self):
        return self

    def double(self):
        return self

    def numpy(self):
        return self.rows


class Linear:              # the name point_from_torch recognises, without torch
    def __init__(self, rows, bias=None):
        self.weight, self.bias = _Weight(rows), bias


class ReLU:
    weight = None


def test_stand_in_layers_map_to_the_point_in_order_and_exactly():
    point = point_from_torch([Linear([[0.5, -2.0]]), Linear([[0.1], [3.0]])])
    assert point["weights"][0] == [[Fraction(1, 2), -2]]
    # 0.1 is read as the double it is, not as 1/10
    assert point["weights"][1][0][0] == Fraction(3602879701896397, 36028797018963968)
    assert point["weights"][1][1][0] == 3


@pytest.mark.parametrize("layers, field, words", [
    ([Linear([[1.0]], bias=object())], "layer 1", "bias=False"),
    ([Linear([[1.0]]), ReLU()], "layer 2", "nn.Linear"),
    ([Linear([[1.0, 2.0]]), Linear([[1.0, 2.0]])], "layer 2", "expected 1 inputs"),
    ([Linear([[float("nan")]])], "layer 1", "finite"),
    ([], "model", "at least one"),
])
def test_stand_in_refusals_name_the_layer(layers, field, words):
    with pytest.raises(InputError) as info:
        point_from_torch(layers)
    assert field in str(info.value) and words in str(info.value)


def test_a_torch_network_classifies_as_its_exact_point(tmp_path):
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(0.0)
        net[1].weight.fill_(0.0)
    problem = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
    r = lp.classify(problem, net)
    # (ab - 1)^2 / 2 at the origin: gradient 0, Hessian [[0, -1], [-1, 0]]: a strict saddle
    assert r.kind.value == "strict-saddle" and r.value == Fraction(1, 2)
    assert lp.verify(r).holds

    with torch.no_grad():
        net[0].weight.fill_(0.5)
        net[1].weight.fill_(2.0)
    path = tmp_path / "point.json"
    point = lp.export_torch(net, path)
    assert point["weights"] == [[[Fraction(1, 2)]], [[2]]]
    r = lp.classify(problem, path)                  # ab = 1: a global minimum of value 0
    assert r.kind.value == "global-minimum" and r.value == 0


def test_a_float32_weight_is_its_exact_binary_value():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(0.1)                     # float32(0.1) = 13421773 / 2^27
    assert point_from_torch(torch.nn.Sequential(layer))["weights"][0][0][0] == Fraction(13421773, 2**27)


def test_a_layer_with_bias_is_refused_by_the_api():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(1, 1))
    problem = {"family": "deep-linear", "widths": [1, 1], "Y": [[1]], "loss": "square"}
    with pytest.raises(InputError, match="bias=False"):
        lp.classify(problem, net)
