"""The trusted kernel: ``check_certificate(dict) -> CheckResult`` (``.holds``, ``.reason``).

It imports nothing outside ``kernel/`` and recomputes everything it checks
(docs/trust.md).
"""
from landscape_proofs.kernel.checker import check_certificate  # noqa: F401
from landscape_proofs.kernel.verdict import CheckResult  # noqa: F401
