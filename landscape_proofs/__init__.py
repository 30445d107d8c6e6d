"""landscape-proofs: exact, certified facts about optimization landscapes of deep linear networks.

>>> import landscape_proofs as lp
>>> lp.classify("problem.json", "point.json").kind        # doctest: +SKIP

The curated public surface is :mod:`landscape_proofs.api`; the names below are re-exported from
it.  The API imports every producer inside the function that uses it, so importing this package
(or the trusted checker, :mod:`landscape_proofs.kernel.checker`) loads no producer, NumPy,
SymPy or mpmath.
"""
from landscape_proofs.api import (Result, census, check, classify, explain, export_torch,  # noqa: F401
                                  load_point,
                                  load_problem, verify)

__version__ = "0.1.0"

# ``search`` names both the function and the subpackage landscape_proofs.search.  Importing the
# subpackage would rebind this name to it; the package's module type keeps the function (which
# still reaches the subpackage: ``landscape_proofs.search.multistart`` ...) without importing
# the subpackage here (checking a certificate must load no search module).
from landscape_proofs.api import search_entry as search  # noqa: F401,E402
import sys as _sys  # noqa: E402
from landscape_proofs.api import Package as _Package  # noqa: E402

_sys.modules[__name__].__class__ = _Package
