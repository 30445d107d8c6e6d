"""The trusted kernel: ``check_certificate(dict) -> CheckResult`` (``.holds``, ``.reason``).

It imports nothing outside ``kernel/`` and recomputes everything it checks
(docs/trust.md).  Both names are loaded on first use (``kernel/lazy.py``), so importing
``landscape_proofs.kernel.errors`` loads neither python-flint nor the checker.
"""
from landscape_proofs.kernel.lazy import __getattr__  # noqa: F401
