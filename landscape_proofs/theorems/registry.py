"""The registered theorems, in a fixed order, and lookup by id.

Registration is automatic: every module of this package (found with :mod:`pkgutil`) is
imported and the :class:`~.base.Theorem` objects it declares at module level are collected
(a module declaring several, such as ``nouiehed_razaviyayn2018``, gives them in the order they
are defined).  Support modules (``base``, ``facts``, ``judging``, ...) declare none.  The order
is deterministic: the modules named in :data:`ORDER` first, in that order (the historical order
of ``landscape theorems``), then any other module alphabetically.  Adding a theorem is adding
a module; nothing here needs to change.

>>> [t.id for t in THEOREMS][:2]
['kawaguchi2016', 'lu_kawaguchi2017']
"""
from __future__ import annotations

import importlib
import pkgutil

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.theorems.base import Theorem

# the order of ``landscape theorems`` (modules not listed come after, alphabetically)
ORDER = ("kawaguchi2016", "lu_kawaguchi2017", "laurent_vonbrecht2018", "zhang2019",
         "nouiehed_razaviyayn2018", "ma_fattahi2022", "baldi_hornik1989",
         "yun_sra_jadbabaie2018", "achour2021")


def _module_names() -> list[str]:
    import landscape_proofs.theorems as package

    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                   if not m.ispkg and not m.name.startswith("_") and m.name not in ("registry", "pages"))
    rank = {n: i for i, n in enumerate(ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(ORDER)), n))


def declared_theorems(module, seen: set | None = None) -> list[Theorem]:
    """The Theorem objects a module holds at top level (directly or in a tuple/list), in
    definition order, skipping those in ``seen`` (ids of objects already collected)."""
    out, seen = [], (set() if seen is None else seen)
    for value in vars(module).values():
        if isinstance(value, Theorem) and id(value) not in seen:
            seen.add(id(value))
            out.append(value)
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, Theorem) and id(item) not in seen:
                    seen.add(id(item))
                    out.append(item)
    return out


def discover() -> tuple[Theorem, ...]:
    """Import every module of the package and collect its theorems (deterministic order)."""
    found: list[Theorem] = []
    seen: set = set()
    for name in _module_names():
        module = importlib.import_module(f"landscape_proofs.theorems.{name}")
        found.extend(declared_theorems(module, seen))
    ids = [t.id for t in found]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ImportError(f"theorem ids registered twice: {', '.join(dup)}")
    return tuple(found)


THEOREMS: tuple[Theorem, ...] = discover()

_BY_ID = {t.id: t for t in THEOREMS}


def known_ids() -> tuple[str, ...]:
    return tuple(t.id for t in THEOREMS)


def get_theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; :class:`InputError` listing the known ids otherwise."""
    try:
        return _BY_ID[theorem_id]
    except (KeyError, TypeError):
        raise InputError(f"unknown theorem {theorem_id!r}; known ids: {', '.join(known_ids())}",
                         show_got=False) from None
