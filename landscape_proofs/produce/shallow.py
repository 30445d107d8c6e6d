"""The shallow rank-constrained problem: global solution and classification on rank <= p.

Producer code (docs/families.md).  A point R of ``min f(R) = loss(R X - Y)`` over
``rank(R) <= p`` is classified through its *lift*: the canonical factorization R = U V
with rank(U) = rank(V) = rank(R) (so the pair map is locally open onto the rank <= p
matrices at (U, V), docs/openness.md) and the deep-linear point (W_1, W_2) = (V, U) of the
problem with widths [d_0, p, d_H].  Then:

* (V, U) is a local minimum (maximum) of f(W_2 W_1)  <=>  R is a local minimum (maximum)
  of f on the set  (continuity one way, local openness the other);
* (V, U) is a global minimum  <=>  R is a global minimum on the set (same sets of values);
* a descent (ascent) curve W(t) of the lift gives the curve R(t) = W_2(t) W_1(t) in the set.

So the shallow kind is the lifted point's kind, with the meaning on the set given by
:data:`landscape_proofs.kernel.shallow.ON_THE_SET`; the certificate embeds the lifted
certificate and is checked by ``certificates/shallow.py``.

>>> from landscape_proofs.families.io import problem_from_dict, point_from_dict
>>> p = problem_from_dict({"family": "shallow-rank", "shape": [3, 3], "rank": 1,
...                        "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"})
>>> classify_shallow(p, point_from_dict({"R": [[5, 0, 0], [0, 0, 0], [0, 0, 0]]}, p)).kind.value
'global-minimum'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.kernel.shallow import EVIDENCE_TYPE, ON_THE_SET
from landscape_proofs.produce.classify import Budget, Classification, classify
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.numbers import format_exact, to_fraction
from landscape_proofs.core.rank_constrained import SquareOptimum, square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.base import Point, Problem, Rows

LOCAL_MIN_KINDS = (Kind.LOCAL_MINIMUM, Kind.GLOBAL_MINIMUM, Kind.SPURIOUS_LOCAL_MINIMUM)
NOT_LOCAL_MIN_KINDS = (Kind.NOT_CRITICAL, Kind.STRICT_SADDLE, Kind.NON_STRICT_SADDLE,
                       Kind.NONSMOOTH_SADDLE, Kind.LOCAL_MAXIMUM)


def _rows_json(rows: Rows) -> list:
    return [[format_exact(x) for x in row] for row in rows]


def _matrix_json(M) -> list:
    return [[format_exact(to_fraction(M[i, j])) for j in range(M.ncols())] for i in range(M.nrows())]


@dataclass(frozen=True)
class ShallowSolution:
    """The exact global solution of the square loss over rank <= p (reduced-rank regression).

    ``optimum`` holds the exact optimal value when it is rational (else an enclosure
    ``[lower, upper]``) and an exact minimizer R* when one is rational.
    """

    problem: Problem
    optimum: SquareOptimum

    def to_json(self) -> dict:
        o = self.optimum
        return {
            "rank_bound": o.rank_bound,
            "optimum": None if o.exact is None else format_exact(to_fraction(o.exact)),
            "optimum_enclosure": {"lo": format_exact(to_fraction(o.lower)),
                                  "hi": format_exact(to_fraction(o.upper))},
            "minimizer": None if o.minimizer is None else _matrix_json(o.minimizer),
        }


def shallow_global_solution(problem: Problem) -> ShallowSolution:
    """The exact optimum (and a minimizer when rational) of the square loss on rank <= p.

    Raises ValueError for other losses (no closed form).
    """
    if not problem.loss.square_like or problem.loss.over_product:
        raise ValueError("shallow_global_solution: the closed form needs the square loss")
    return ShallowSolution(problem, square_optimum(matrix(problem.X), matrix(problem.Y),
                                                   problem.effective_rank))


@dataclass(frozen=True)
class ShallowClassification:
    """What a point R is on the set rank <= p, through its lift, with a checked certificate."""

    kind: Kind
    value: Fraction
    reason: str
    on_set: str
    certificate: Certificate | None
    method: str
    lifted: Classification
    factorization: tuple[Rows, Rows]
    solution: ShallowSolution | None = None
    notes: tuple[str, ...] = field(default=())

    # the fields the command line reads from a Classification
    @property
    def inertia(self):
        return self.lifted.inertia

    @property
    def n_params(self) -> int:
        return self.lifted.n_params

    @property
    def is_local_minimum_on_set(self) -> bool | None:
        """True / False when proven, None when inconclusive."""
        if self.kind in LOCAL_MIN_KINDS:
            return True
        if self.kind in NOT_LOCAL_MIN_KINDS and self.kind is not Kind.LOCAL_MAXIMUM:
            return False
        return None

    def to_json(self) -> dict:
        U, V = self.factorization
        return {
            "kind": self.kind.value,
            "value": format_exact(self.value),
            "on_set": self.on_set,
            "is_local_minimum_on_set": self.is_local_minimum_on_set,
            "reason": self.reason,
            "method": self.method,
            "factorization": {"U": _rows_json(U), "V": _rows_json(V)},
            "lifted": self.lifted.to_json(),
            "global_solution": None if self.solution is None else self.solution.to_json(),
            "notes": list(self.notes),
            "certificate": self.certificate.to_json() if self.certificate else None,
        }


def classify_shallow(problem: Problem, point,
                     budget: Budget = Budget()) -> ShallowClassification:
    """Classify R on the set rank <= p through its lift (see the module docstring)."""
    U, V = problem.canonical_factorization(point)
    deep = problem.deep_linear()
    lifted = classify(deep, Point.of(deep, [V, U]), budget)
    solution = None
    if problem.loss.square_like:
        solution = shallow_global_solution(problem)
    notes = list(lifted.notes)
    r = matrix(point.R).rank()
    notes.append(f"canonical factorization: R = U V with rank(U) = rank(V) = rank(R) = {r}, "
                 f"U {problem.shape[0]} x {problem.rank}, V {problem.rank} x {problem.shape[1]}")
    if lifted.certificate is None:
        return ShallowClassification(
            Kind.INCONCLUSIVE, lifted.value, f"the lifted point is inconclusive: {lifted.reason}",
            "nothing was proven about R on the set", None, f"factorization transfer + {lifted.method}",
            lifted, (U, V), solution, tuple(notes))
    evidence = {"type": EVIDENCE_TYPE, "U": _rows_json(U), "V": _rows_json(V),
                "deep_certificate": lifted.certificate.to_json()}
    cert = Certificate(claim=lifted.kind.value, problem=problem, point=point, value=lifted.value,
                       evidence=evidence, method=f"factorization transfer + {lifted.method}",
                       notes=lifted.certificate.notes)
    check = check_certificate(cert.to_json())
    if not check.valid:  # a producer bug: never report an unchecked claim
        return ShallowClassification(
            Kind.INCONCLUSIVE, lifted.value,
            f"internal: the checker rejected the shallow certificate ({check.reason})",
            "nothing was proven about R on the set", None, cert.method, lifted, (U, V), solution,
            tuple(notes))
    return ShallowClassification(lifted.kind, lifted.value, check.reason, ON_THE_SET[lifted.kind.value],
                                 cert, cert.method, lifted, (U, V), solution, tuple(notes))


def classification_lines(res: ShallowClassification) -> list[str]:
    """The classification as lines of text for people."""
    U, V = res.factorization
    out = [f"kind:   {res.kind.value}",
           f"value:  {format_exact(res.value)}",
           f"on the set: {res.on_set}",
           f"reason: {res.reason}",
           f"lift:   R = U V, U = {_rows_json(U)}, V = {_rows_json(V)}"]
    if res.inertia is not None:
        pos, neg, zero = res.inertia
        out.append(f"lifted Hessian inertia (+, -, 0): ({pos}, {neg}, {zero}) over "
                   f"{res.n_params} parameters")
    if res.solution is not None:
        o = res.solution.optimum
        if o.exact is not None:
            out.append(f"global optimum over rank <= {o.rank_bound}: {format_exact(to_fraction(o.exact))}"
                       + ("" if o.minimizer is None else
                          f", attained at R* = {_matrix_json(o.minimizer)}"))
        else:
            out.append(f"global optimum over rank <= {o.rank_bound}: irrational, in "
                       f"[{format_exact(to_fraction(o.lower))}, {format_exact(to_fraction(o.upper))}]")
    for note in res.notes:
        out.append(f"note:   {note}")
    out.append(f"method: {res.method}")
    return out
