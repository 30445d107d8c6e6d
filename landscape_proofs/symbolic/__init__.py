"""SymPy derivations of objectives, gradients and Hessians; LaTeX for people (a producer)."""
from landscape_proofs.symbolic.derive import (
    EXPLICIT_LIMIT,
    Derivation,
    Formula,
    MatrixSymbols,
    derivation,
    derive_curvature_products,
    derive_differentials,
    derive_gradient,
    derive_gradient_blocks,
    derive_hessian,
    derive_loss,
    derive_loss_argument,
    derive_loss_gradient,
    derive_objective,
    loss_argument_symbols,
    matrix_symbols,
    parameter_symbols,
    render_derivation,
    weight_symbols,
)

__all__ = [
    "EXPLICIT_LIMIT", "Derivation", "Formula", "MatrixSymbols", "derivation",
    "derive_curvature_products", "derive_differentials", "derive_gradient",
    "derive_gradient_blocks", "derive_hessian", "derive_loss", "derive_loss_argument",
    "derive_loss_gradient", "derive_objective", "loss_argument_symbols", "matrix_symbols",
    "parameter_symbols", "render_derivation", "weight_symbols",
]
