"""landscape-proofs: exact, certified facts about optimization landscapes of deep linear networks.

>>> import landscape_proofs as lp
>>> lp.classify("problem.json", "point.json").kind        # doctest: +SKIP

The curated public surface is :mod:`landscape_proofs.api`; the names below are re-exported from
it.  The API imports every producer inside the function that uses it, so importing this package
(or the trusted checker, :mod:`landscape_proofs.kernel.checker`) loads no producer, NumPy,
SymPy or mpmath.
"""
from landscape_proofs.api import (Result, check, classify, explain, load_point,  # noqa: F401
                                  load_problem, verify)

# ``search`` names both the function and the subpackage landscape_proofs.search (empty
# __init__, light).  The subpackage is loaded first, so that nothing rebinds the name later;
# ``search`` is then the function, and ``search.multistart`` ... still reach the subpackage.
from landscape_proofs import search as _search_package  # noqa: F401,E402
from landscape_proofs.api import search_entry as search  # noqa: F401,E402

__version__ = "0.1.0"
