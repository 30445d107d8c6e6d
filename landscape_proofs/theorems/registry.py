"""The registered theorems, in a fixed order, and lookup by id.

>>> [t.id for t in THEOREMS][:2]
['kawaguchi2016', 'lu_kawaguchi2017']
"""
from __future__ import annotations

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.theorems import (achour2021, baldi_hornik1989, kawaguchi2016, laurent_vonbrecht2018,
               lu_kawaguchi2017, ma_fattahi2022, nouiehed_razaviyayn2018, yun_sra_jadbabaie2018,
               zhang2019)
from landscape_proofs.theorems.base import Theorem

THEOREMS: tuple[Theorem, ...] = (
    kawaguchi2016.THEOREM,
    lu_kawaguchi2017.THEOREM,
    laurent_vonbrecht2018.THEOREM,
    zhang2019.THEOREM,
    *nouiehed_razaviyayn2018.THEOREMS,
    ma_fattahi2022.THEOREM,
    baldi_hornik1989.THEOREM,
    yun_sra_jadbabaie2018.THEOREM,
    achour2021.THEOREM,
)

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
