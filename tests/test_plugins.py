"""Families and losses are plug-ins: registries, round trips, and who still names them.

(a) A census of the package's modules (``ast``): which modules outside ``families/`` and
    ``theorems/`` name a family (a string constant equal to a registered family name, or a
    reference to / import of a family class or family module), and which modules outside
    ``losses/`` name a loss type (a string constant equal to a loss name or alias, or a
    reference to a loss class).  The lists below may only shrink.  ``kernel/`` is counted
    but not held to the lists: by design it reads the problem format with its own reader
    (docs/architecture.md), and it is being rewritten.
(b) Every registered family and loss survives ``from_json(to_json(x)) == x``.
(c) A family and a loss added through the registries are read by ``problem_from_dict`` and
    evaluated by the exact, numeric and classification code without any other change.
"""
from __future__ import annotations

import ast
import dataclasses
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import flint
import numpy as np
import pytest

import landscape_proofs
from landscape_proofs.families import registry as families
from landscape_proofs.families.base import Point
from landscape_proofs.families.deep_linear import DeepLinearProblem, exact_matrix
from landscape_proofs.losses import registry as losses
from landscape_proofs.losses.power import PowerLoss

ROOT = Path(landscape_proofs.__file__).resolve().parent

# --- (a) the census ----------------------------------------------------------------------------
# Modules outside families/ and theorems/ that name a family, and why (the issue allows at most
# three; the list may only shrink):
NAMING_A_FAMILY = {
    # the kernel's own reading of the problem format (independent of families/, by design)
    "kernel/model.py",
    # the Hypothesis generators: one strategy per searchable family, building its problems
    "search/strategies.py",
    # the openness report names the map it decided ("multi-tower"), a value users read
    "openness/common.py",
}
# Modules outside losses/ that name a loss type (at most three; may only shrink):
NAMING_A_LOSS = {
    "kernel/losses.py",      # the kernel's own losses (independent of losses/, by design)
    "theorems/facts.py",     # the theorems' assumption facts ("loss = square", "l convex")
}
NOT_HELD: tuple = ()
# Packages whose modules are plug-in consumers owned by this layer of the design.
PLUGIN_CONSUMERS = ("core", "numeric", "produce", "search", "symbolic")


def _family_vocabulary():
    names = set(families.READERS) | set(families.FAMILY_CLASSES)
    classes = {c.__name__ for c in families.FAMILY_CLASSES.values()} | {"ShallowPoint"}
    modules = {c.__module__ for c in families.FAMILY_CLASSES.values()}
    modules |= {r.__module__ for r in families.READERS.values() if hasattr(r, "__module__")}
    modules.discard("landscape_proofs.families.base")
    return names, classes, modules


def _loss_vocabulary():
    names = set(losses.LOSSES) | set(losses.ALIASES) | set(losses.SEARCH_LOSS_NAMES)
    classes = {c.__name__ for c in losses.LOSSES.values()}
    return names, classes


def _names_in(path: Path, names: set, classes: set, modules: set = frozenset()) -> list:
    hits = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            hits.append((node.lineno, node.value))
        elif isinstance(node, ast.Name) and node.id in classes:
            hits.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in classes:
            hits.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "") in modules:
                hits.append((node.lineno, node.module))
            hits += [(node.lineno, a.name) for a in node.names if a.name in classes]
    return hits


def census() -> tuple[dict, dict]:
    fam_names, fam_classes, fam_modules = _family_vocabulary()
    loss_names, loss_classes = _loss_vocabulary()
    fam, loss = {}, {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        top = rel.split("/")[0]
        if top not in ("families", "theorems"):
            hits = _names_in(path, fam_names, fam_classes, fam_modules)
            if hits:
                fam[rel] = hits
        if top != "losses":
            hits = _names_in(path, loss_names, loss_classes)
            if hits:
                loss[rel] = hits
    return fam, loss


def _held(found: dict) -> dict:
    return {m: v for m, v in found.items() if m.split("/")[0] not in NOT_HELD}


def test_the_census_sees_what_it_should():
    fam, loss = census()
    # the search strategies build each family's problems; theorems/facts names loss classes
    assert "search/strategies.py" in fam and "theorems/facts.py" in loss
    assert _names_in(ROOT / "families" / "io.py", *_loss_vocabulary()) == []
    assert _names_in(ROOT / "search" / "strategies.py", *_family_vocabulary())


def test_modules_naming_a_family_only_shrink():
    fam = _held(census()[0])
    assert len(NAMING_A_FAMILY) <= 3
    assert set(fam) <= NAMING_A_FAMILY, {m: fam[m][:5] for m in set(fam) - NAMING_A_FAMILY}
    consumers = [m for m in fam if m.split("/")[0] in PLUGIN_CONSUMERS]
    assert len(consumers) <= 1, consumers


def test_modules_naming_a_loss_type_only_shrink():
    loss = _held(census()[1])
    assert len(NAMING_A_LOSS) <= 3
    assert set(loss) <= NAMING_A_LOSS, {m: loss[m][:5] for m in set(loss) - NAMING_A_LOSS}
    consumers = [m for m in loss if m.split("/")[0] in PLUGIN_CONSUMERS + ("families",)]
    assert consumers == [], consumers


# --- (b) round trips ---------------------------------------------------------------------------
SAMPLE_PROBLEMS = {
    "deep-linear": {"family": "deep-linear", "widths": [2, 1, 2], "X": [[1, 0, 2], [0, 1, 1]],
                    "Y": [[1, "1/2", 0], [0, 1, 3]], "loss": "square", "weight_decay": "1/4"},
    "shallow-rank": {"family": "shallow-rank", "shape": [2, 2], "rank": 1,
                     "Y": [[3, 0], [0, 1]], "loss": "l1"},
    "matrix-factorization": {"family": "matrix-factorization", "shape": [2, 3], "rank": 1,
                             "Y": [[1, 0, 0], [0, 1, 0]], "loss": {"name": "power", "p": 4}},
    "multi-tower": {"family": "multi-tower", "towers": [[2, 1, 2], [2, 2]],
                    "Y": [[3, 0], [0, 1]], "loss": "square", "weight_decay": "1/3"},
    "symmetric-factorization": {"family": "symmetric-factorization", "shape": [2, 1],
                                "Y": [[1, 0], [0, -1]],
                                "loss": {"name": "custom", "expression": "r_0_0**2 + r_1_1**4",
                                         "over": "residual", "convex": True}},
    "robust-regression": {"family": "robust-regression", "depth": 2, "X": [[1, 3], [0, 1]],
                          "y": [1, "13/2"], "loss": "l1"},
}
SAMPLE_POINTS = {
    "deep-linear": {"weights": [[[1, 2]], [[1], ["-1/2"]]]},
    "shallow-rank": {"R": [[1, 2], [2, 4]]},
    "matrix-factorization": {"U": [[1], [2]], "V": [[1, 0, "1/3"]]},
    "multi-tower": {"weights": [[[1, 2]], [[1], [0]], [[1, 0], [0, 1]]]},
    "symmetric-factorization": {"U": [[1], [-1]]},
    "robust-regression": {"weights": [[[1, "1/2"]], [[2]]]},
}
SAMPLE_LOSSES = {
    "square": ["square"],
    "l1": ["l1"],
    "power": [{"name": "power", "p": 2}, {"name": "power", "p": 6}],
    "custom": [{"name": "custom", "expression": "R_0_0**2 - R_0_1", "over": "product",
                "convex": None, "differentiable": None},
               {"name": "custom", "expression": "Abs(r_0_0)", "over": "residual",
                "convex": True, "differentiable": False}],
}


def test_every_family_name_has_a_sample():
    assert set(SAMPLE_PROBLEMS) == set(families.READERS)


@pytest.mark.parametrize("name", sorted(SAMPLE_PROBLEMS))
def test_families_round_trip(name):
    problem = families.problem_from_dict(SAMPLE_PROBLEMS[name])
    again = families.problem_from_dict(families.problem_to_dict(problem))
    assert again == problem and type(again) is type(problem)
    assert families.FAMILY_CLASSES[problem.family] is type(problem)
    point = families.point_from_dict(SAMPLE_POINTS[name], problem)
    assert families.point_from_dict(families.point_to_dict(point), problem) == point


def test_every_loss_has_a_sample():
    assert set(SAMPLE_LOSSES) == set(losses.LOSSES)


@pytest.mark.parametrize("name", sorted(SAMPLE_LOSSES))
def test_losses_round_trip(name):
    for spec in SAMPLE_LOSSES[name]:
        loss = losses.loss_from_json(spec)
        assert type(loss) is losses.LOSSES[name] and loss.name == name
        assert losses.loss_from_json(loss.to_json()) == loss


def test_the_aliases_of_the_power_loss_are_one_loss():
    four = losses.loss_from_json({"name": "power", "p": 4})
    assert {losses.loss_from_name(s) for s in ("power4", "power 4", "power:4", ("power", 4))} == {four}
    for short in losses.SEARCH_LOSS_NAMES:
        assert losses.loss_from_name(short).name in losses.LOSSES


# --- (c) plug-ins ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Quartic(PowerLoss):
    """A test loss: ``1/4 sum E_ij^4`` under its own bare name."""

    p: int = 4
    name: ClassVar[str] = "test-quartic"
    bare_name: ClassVar[bool] = True
    json_keys: ClassVar[frozenset] = frozenset()

    @classmethod
    def from_json_object(cls, spec, field_name):
        return cls()

    def to_json(self):
        return self.name


@dataclasses.dataclass(frozen=True)
class _ScalarBottleneck(DeepLinearProblem):
    """A test family: ``loss(b a^T - Y)`` for vectors a, b of length n (widths [n, 1, n])."""

    family: ClassVar[str] = "test-scalar-bottleneck"

    @classmethod
    def from_dict(cls, data):
        n = data["n"]
        return cls(widths=(n, 1, n), Y=data["Y"], loss=losses.loss_from_json(data["loss"]))

    def to_dict(self):
        return {"family": self.family, "n": self.widths[0],
                "Y": [[str(x) for x in row] for row in self.Y], "loss": self.loss.to_json()}


@pytest.fixture
def plugins():
    losses.register_loss(_Quartic)
    families.register_family(_ScalarBottleneck)
    try:
        yield
    finally:
        families.unregister_family(_ScalarBottleneck.family)
        losses.unregister_loss(_Quartic.name)


def test_a_registered_loss_and_family_are_read_and_evaluated(plugins):
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.numeric.views import float64_objective, float64_weights
    from landscape_proofs.produce.classify import classify
    from landscape_proofs.symbolic.derive import derive_loss

    data = {"family": "test-scalar-bottleneck", "n": 2, "Y": [[1, 0], [0, 2]],
            "loss": "test-quartic"}
    p = families.problem_from_dict(data)
    assert isinstance(p, _ScalarBottleneck) and isinstance(p.loss, _Quartic)
    assert families.problem_from_dict(families.problem_to_dict(p)) == p
    point = Point.of(p, [[[1, 0]], [[0], [1]]])        # b a^T = [[0, 0], [1, 0]]
    # exact: 1/4 (1 + 1 + 16) = 9/2
    assert exact_objective(p).value(exact_weights(point)) == flint.fmpq(9, 2)
    f64 = float64_objective(p)
    assert np.allclose(f64.value(float64_weights([point])), [4.5])
    assert str(derive_loss(p)) == "r_0_0**4/4 + r_0_1**4/4 + r_1_0**4/4 + r_1_1**4/4"
    # the producers handle it; the kernel reads the file format itself (docs/trust.md), so a
    # family it was not taught is never certified: an honest inconclusive, with the reason
    res = classify(p, point)
    assert res.kind.value == "inconclusive" and "kernel cannot read" in res.reason
    # unregistered again afterwards: the names are refused
    families.unregister_family(_ScalarBottleneck.family)
    with pytest.raises(Exception, match="expected one of"):
        families.problem_from_dict(data)


def test_unregistering_restores_the_vocabulary(plugins):
    assert "test-quartic" in losses.LOSSES and "test-scalar-bottleneck" in families.READERS


def test_after_the_plugins_the_vocabulary_is_the_builtin_one():
    assert set(losses.LOSSES) == {"square", "l1", "power", "custom"}
    assert set(families.READERS) == set(SAMPLE_PROBLEMS)


def test_exact_matrix_is_shared():
    assert exact_matrix([[1, "1/2"]], "M") == ((Fraction(1), Fraction(1, 2)),)
