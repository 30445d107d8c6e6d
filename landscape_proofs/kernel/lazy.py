"""The kernel package's public names, loaded on first use (PEP 562 ``__getattr__``).

``import landscape_proofs.kernel.errors`` (which every command line path does) runs the
package's ``__init__``; importing the checker there would load python-flint and the whole
checker even for ``landscape --help``.  ``kernel/__init__.py`` imports this ``__getattr__``
instead, so ``landscape_proofs.kernel.check_certificate`` is looked up when first used.
"""
from __future__ import annotations


def __getattr__(name: str):
    if name == "check_certificate":
        from landscape_proofs.kernel.checker import check_certificate

        return check_certificate
    if name == "CheckResult":
        from landscape_proofs.kernel.verdict import CheckResult

        return CheckResult
    raise AttributeError(f"module 'landscape_proofs.kernel' has no attribute {name!r}")
