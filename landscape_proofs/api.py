"""The public surface of landscape-proofs, in one place.

>>> from landscape_proofs.api import classify, load_problem, load_point, check_certificate
"""
from .certificates.checker import CheckResult, check_certificate
from .certificates.model import Certificate, read_certificate, write_certificate
from .classify import Budget, Classification, classify
from .classify_refined import classify_refined
from .errors import InputError, LandscapeError
from .kinds import Kind
from .problems import DeepLinearProblem, Point
from .problems.io import load_point, load_problem, point_from_dict, problem_from_dict

__all__ = ["Budget", "Certificate", "CheckResult", "Classification", "DeepLinearProblem",
           "InputError", "Kind", "LandscapeError", "Point", "check_certificate", "classify", "classify_refined",
           "load_point", "load_problem", "point_from_dict", "problem_from_dict",
           "read_certificate", "write_certificate"]
