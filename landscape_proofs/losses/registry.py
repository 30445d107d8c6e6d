"""The loss registry: canonical name -> loss class, the aliases, reading a loss from JSON.

Every loss has one canonical name, its JSON ``"name"`` (``Loss.name``).  The other spellings
accepted anywhere (the search strategies' ``"power4"``, the numeric layer's ``"power 4"`` and
``("power", 4)``) are listed here and nowhere else: :func:`loss_from_name` reads them all.

A new loss is one module in ``losses/`` (a :class:`~landscape_proofs.losses.base.Loss`
subclass) and one :func:`register_loss` call below (or from a plug-in).
"""
from __future__ import annotations

import re
from fractions import Fraction

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.losses.base import Loss
from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.losses.l1 import L1Loss
from landscape_proofs.losses.power import PowerLoss
from landscape_proofs.losses.square import SquareLoss

#: canonical name -> loss class, in the order the messages list them
LOSSES: dict[str, type[Loss]] = {}


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Register a loss class under its canonical ``name`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Loss)):
        raise TypeError(f"expected a Loss subclass, got {cls!r}")
    LOSSES[cls.name] = cls
    return cls


def unregister_loss(name: str) -> None:
    LOSSES.pop(name, None)


for _cls in (SquareLoss, L1Loss, PowerLoss, CustomLoss):
    register_loss(_cls)

# Aliases: the one place where a loss has another name.  ``power<p>``, ``power p``,
# ``power:p``, ``power=p`` and the pair ``("power", p)`` all mean PowerLoss(p).
_POWER_ALIAS = re.compile(r"^\s*power\s*[ :=]?\s*(\d+)\s*$")
ALIASES = {"power4": lambda: PowerLoss(4)}


#: the name of the loss a problem gets when it names none
DEFAULT_LOSS_NAME = "square"

#: the parameter-free names the search strategies draw from (``search/strategies.py``)
SEARCH_LOSS_NAMES = ("square", "power4", "l1")


def weighted_loss(weights, target) -> CustomLoss:
    """The custom loss ``sum_ij c_ij (R_ij - T_ij)^2`` of the product (declared convex).

    >>> weighted_loss([[1, 10], [10, 2]], [[1, 0], [0, 1]]).expression
    '(R_0_0 - 1)**2 + 10*(R_0_1)**2 + 10*(R_1_0)**2 + 2*(R_1_1 - 1)**2'
    """
    terms = []
    for i, row in enumerate(weights):
        for j, c in enumerate(row):
            t = Fraction(target[i][j])
            inner = f"R_{i}_{j}" if t == 0 else f"R_{i}_{j} - {t}" if t > 0 else f"R_{i}_{j} + {-t}"
            coeff = "" if c == 1 else f"{Fraction(c)}*"
            terms.append(f"{coeff}({inner})**2")
    return CustomLoss(expression=" + ".join(terms), over_="product", declared_convex=True,
                      declared_differentiable=True)


def loss_names() -> tuple[str, ...]:
    return tuple(LOSSES)


def default_loss() -> Loss:
    """The loss of a problem that names none (the square loss)."""
    return LOSSES[DEFAULT_LOSS_NAME]()


def loss_hint() -> str:
    """How a loss is written, for messages: '"square", "l1", {"name": "power", ...} or ...'."""
    parts = [f'"{n}"' if c.bare_name and not c.json_keys else f'{{"name": "{n}", ...}}'
             for n, c in LOSSES.items()]
    return ", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]


def loss_from_name(spec: object) -> Loss:
    """A loss from a short name: a bare canonical name, an alias, ``"power p"``, ``("power", p)``.

    >>> loss_from_name("power 4"), loss_from_name("power4") == loss_from_name(("power", 4))
    (PowerLoss(p=4), True)
    """
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] == PowerLoss.name:
        return PowerLoss(spec[1])
    if isinstance(spec, str):
        if spec in ALIASES:
            return ALIASES[spec]()
        cls = LOSSES.get(spec)
        if cls is not None and cls.bare_name:
            return cls()
        m = _POWER_ALIAS.match(spec)
        if m:
            return PowerLoss(int(m.group(1)))
    bare = [n for n, c in LOSSES.items() if c.bare_name]
    raise ValueError(f"unknown loss name {spec!r}; expected {', '.join(map(repr, bare))}, "
                     f"{', '.join(map(repr, ALIASES))} or 'power p' (p an even integer >= 2)")


def loss_from_json(spec: object, field_name: str = "loss") -> Loss:
    """Build a loss from its JSON form (see docs/formats.md)."""
    names = ", ".join(LOSSES)
    bare = [n for n, c in LOSSES.items() if c.bare_name]
    if isinstance(spec, str) and spec in bare:
        return LOSSES[spec]()
    if isinstance(spec, str):
        objects = [n for n in LOSSES if n not in bare]
        raise InputError(f"expected one of {names} ({' and '.join(reversed(objects))} as objects)",
                         field=field_name, got=spec)
    if not isinstance(spec, dict):
        raise InputError(f'expected {", ".join(chr(34) + n + chr(34) for n in bare)} or an object '
                         '{"name": ...}', field=field_name, got=spec)
    name = spec.get("name")
    if not isinstance(name, str) or name not in LOSSES:  # (a list name is unhashable)
        raise InputError(f"expected name one of {names}", field=f"{field_name}.name", got=name)
    cls = LOSSES[name]
    allowed = {"name"} | set(cls.json_keys)
    extra = set(spec) - allowed
    if extra:
        raise InputError(f"unknown key for a {name} loss; allowed: {', '.join(sorted(allowed))}",
                         field=f"{field_name}.{sorted(extra)[0]}", got=sorted(extra)[0])
    return cls.from_json_object(spec, field_name)


__all__ = ["LOSSES", "ALIASES", "register_loss", "unregister_loss", "loss_names", "default_loss",
           "loss_hint", "loss_from_name", "loss_from_json", "SEARCH_LOSS_NAMES", "DEFAULT_LOSS_NAME", "weighted_loss"]
