"""The public error types (defined in the kernel, which imports nothing outside itself)."""
from landscape_proofs.kernel.errors import (  # noqa: F401
    InputError,
    LandscapeError,
    NotDifferentiableError,
    UnsupportedError,
)
