"""landscape-proofs: exact, certified facts about optimization landscapes of deep linear networks."""
from .classify import Budget, Classification, classify
from .certificates.checker import CheckResult, check_certificate
from .errors import InputError, LandscapeError
from .kinds import Kind
from .problems import DeepLinearProblem, Point

__version__ = "0.1.0"
__all__ = ["Budget", "CheckResult", "Classification", "DeepLinearProblem", "InputError", "Kind",
           "LandscapeError", "Point", "check_certificate", "classify"]
