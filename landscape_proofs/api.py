"""The public surface of landscape-proofs, in one place.

>>> from landscape_proofs.api import classify, load_problem, load_point, check_certificate
"""
from landscape_proofs.kernel.checker import CheckResult, check_certificate
from landscape_proofs.produce.certificate import Certificate, read_certificate, write_certificate
from landscape_proofs.produce.classify import Budget, Classification, classify
from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.io import load_point, load_problem, point_from_dict, problem_from_dict

__all__ = ["Budget", "Certificate", "CheckResult", "Classification", "DeepLinearProblem",
           "InputError", "Kind", "LandscapeError", "Point", "check_certificate", "classify", "classify_refined",
           "load_point", "load_problem", "point_from_dict", "problem_from_dict",
           "read_certificate", "write_certificate"]
