"""A certificate in plain language: what it claims, why that follows, how the kernel checked it.

``explain_certificate(data) -> str`` (what ``landscape explain CERT.json`` prints) and
``certificate_explanation(data) -> dict`` (``--json``: ``claim``, ``holds``, ``summary``,
``argument`` (sentences) and ``checked`` (the kernel's reason)).

Every number stated as a fact is recomputed here with the kernel's own objects (its problem
and point readers, :class:`landscape_proofs.kernel.objective.Objective`, exact inertia), never
read from the certificate; what is only read from the file is introduced by "the certificate
says".  The verdict is :func:`landscape_proofs.kernel.check_certificate`'s.  Imports: the
kernel only.
"""
from __future__ import annotations

from landscape_proofs.kernel.checker import check_certificate
from flint import arb, fmpq, fmpq_mat

from landscape_proofs.kernel.enclosure import enclose_value, is_enclosure_point, read_enclosure
from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel.linalg import inertia, rank
from landscape_proofs.kernel.model import Problem, read_matrix, read_point, read_problem
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.objective import Objective, lowest_order
from landscape_proofs.kernel.shallow import ON_THE_SET, is_shallow_certificate

__all__ = ["CLAIM_WORDS", "certificate_explanation", "explain_certificate", "is_certificate",
           "render_explanation"]

# what each claim says, in words (after "the point is ...")
CLAIM_WORDS = {
    "not-critical": "not a critical point: the loss decreases at first order in some direction, "
                    "so no method that converges to critical points stops here",
    "strict-saddle": "a strict saddle: a critical point where the Hessian has a negative "
                     "eigenvalue, so the loss decreases along some direction and increases "
                     "along another (gradient methods escape it)",
    "non-strict-saddle": "a non-strict (degenerate) saddle: a critical point whose Hessian has no "
                         "negative eigenvalue, yet the loss still decreases along a curve at "
                         "higher order and increases along another",
    "nonsmooth-saddle": "a saddle at a kink of the l1 loss, where there is no Hessian: critical "
                        "in Clarke's sense, yet the loss decreases along one curve and "
                        "increases along another",
    "local-minimum": "a local minimum: no nearby point has a lower loss",
    "local-maximum": "a local maximum: no nearby point has a higher loss",
    "global-minimum": "a global minimum: no point at all has a lower loss",
    "spurious-local-minimum": "a spurious local minimum: a local minimum that is not global, "
                              "since some other point has a strictly lower loss",
}

MAX_HESSIAN_PARAMS = 200   # recompute the Hessian's inertia for explanations up to this size
MAX_SHOWN_ENTRIES = 12     # print a weight-shaped matrix list with at most this many entries


def is_certificate(data: object) -> bool:
    """True when ``data`` looks like a certificate (a dict with the format tag)."""
    return isinstance(data, dict) and str(data.get("format", "")).startswith("landscape-certificate")


# --- small helpers ----------------------------------------------------------------------------
def _q(x) -> str:
    return str(x)


def _safe(fn):
    """``fn()``, or ``None`` when the kernel cannot compute it (malformed evidence, a kink...)."""
    try:
        return fn()
    except (InputError, LandscapeError, ArithmeticError, ValueError, TypeError, KeyError,
            IndexError, AttributeError):
        return None


def _matrix_text(M) -> str:
    return "[" + ", ".join("[" + ", ".join(str(M[i, j]) for j in range(M.ncols())) + "]"
                           for i in range(M.nrows())) + "]"


def _weights_text(problem: Problem, mats) -> str:
    names = _block_names(problem)
    if sum(M.nrows() * M.ncols() for M in mats) > MAX_SHOWN_ENTRIES:
        return f"a {len(mats)}-block weight-shaped matrix list (in the certificate)"
    return ", ".join(f"{n} = {_matrix_text(M)}" for n, M in zip(names, mats))


def _block_names(problem: Problem) -> list[str]:
    if problem.symmetric:
        return ["U"]
    if len(problem.towers) > 1:
        out = [""] * len(problem.shapes)
        for t, tower in enumerate(problem.towers):
            for k, (b, _) in enumerate(tower):
                out[b] = f"W{t + 1}_{k + 1}"
        return out
    return [f"W_{k + 1}" for k in range(len(problem.shapes))]


def _parameter_name(problem: Problem, index: int) -> str:
    for b, ((r, c), off) in enumerate(zip(problem.shapes, problem.offsets)):
        if off <= index < off + r * c:
            p, q = divmod(index - off, c)
            return f"{_block_names(problem)[b]}[{p}][{q}]"
    return f"parameter {index}"


def _loss_text(problem: Problem) -> str:
    text = problem.loss.describe()
    if getattr(problem, "decay_entries", None) is not None:
        text += " with a per-entry weight decay"
    elif problem.weight_decay != 0:
        text += f" with weight decay {problem.weight_decay}"
    return text


def _problem_text(problem: Problem) -> str:
    if problem.symmetric:
        n, k = problem.shapes[0]
        what = f"l(U U^T) with U of shape {n} x {k}"
    elif len(problem.towers) > 1:
        what = f"a sum of {len(problem.towers)} towers with widths {[list(w) for w in problem.tower_widths]}"
    else:
        what = f"a deep linear network with widths {list(problem.widths)}"
    return f"{what}, {_loss_text(problem)} ({_plural(problem.n_params, 'parameter')})"


def _recorded_value(data: dict):
    if "value" not in data:
        return None
    return _safe(lambda: to_fmpq(parse_exact(data["value"], "value")))


def _weights(problem: Problem, data, name: str):
    shapes = problem.shapes
    if not isinstance(data, list) or len(data) != len(shapes):
        raise InputError(f"{name}: expected {len(shapes)} matrices shaped like the weights")
    return [read_matrix(M, name, s) for M, s in zip(data, shapes)]


def _curve(problem: Problem, data, name: str):
    if not isinstance(data, list) or not data or len(data) > 12:
        raise InputError(f"{name}: expected a list of coefficient lists")
    return [_weights(problem, C, name) for C in data]


def _poly_term(c, q) -> str:
    return f"{c} t" if q == 1 else f"{c} t^{q}"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# --- the argument, claim by claim --------------------------------------------------------------
class _Explainer:
    """Sentences about one exact certificate, each number recomputed with the kernel."""

    def __init__(self, data: dict):
        self.data = data
        self.problem = read_problem(data["problem"])
        self.W = read_point(data["point"], self.problem)
        self.obj = Objective(self.problem)
        self.value = _safe(lambda: self.obj.value(self.W))
        self.ev = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
        self.out: list[str] = []

    def say(self, text: str) -> None:
        self.out.append(text)

    # -- facts ---------------------------------------------------------------------------
    def value_sentence(self) -> None:
        if self.value is None:
            self.say("The loss at the point cannot be recomputed exactly (the loss is not a "
                     "polynomial the kernel evaluates).")
            return
        rec = _recorded_value(self.data)
        text = f"The loss at the point is L(W) = {self.value} (recomputed)"
        if rec is not None and rec != self.value:
            text += f"; the certificate says {rec}, which is wrong"
        self.say(text + ".")

    def gradient_sentence(self) -> bool | None:
        g = _safe(lambda: self.obj.gradient_vector(self.W))
        if g is None:
            kinks = _safe(lambda: self.problem.loss.kinks(self.obj.loss_argument(self.W)))
            if kinks:
                self.say(f"The l1 loss has a kink here (zero residual entries {kinks}): it is "
                         "not differentiable at the point.")
            else:
                self.say("The gradient cannot be computed exactly here.")
            return None
        nz = [i for i, x in enumerate(g) if x != 0]
        if not nz:
            self.say(f"The gradient is exactly zero ({'all ' if len(g) > 1 else ''}"
                     f"{_plural(len(g), 'entry', 'entries')} recomputed in rational "
                     "arithmetic): the point is critical.")
            return True
        i = nz[0]
        self.say(f"The gradient is not zero: entry {i} ({_parameter_name(self.problem, i)}) is "
                 f"{g[i]} (recomputed; {_plural(len(nz), 'nonzero entry', 'nonzero entries')}).")
        return False

    def hessian_inertia(self):
        if self.problem.n_params > MAX_HESSIAN_PARAMS:
            return None
        return _safe(lambda: inertia(self.obj.hessian(self.W)))

    def inertia_sentence(self) -> None:
        ine = self.hessian_inertia()
        if ine is None:
            return
        pos, neg, zero = ine.as_tuple()
        self.say(f"The Hessian ({self.problem.n_params} x {self.problem.n_params}, recomputed) "
                 f"has inertia (+, -, 0) = ({pos}, {neg}, {zero}): {pos} positive, {neg} "
                 f"negative and {_plural(zero, 'zero eigenvalue')}.")

    def second_order(self, V):
        p = self.obj.value_along(self.W, [V])
        co = p.coeffs()
        return co[2] if len(co) > 2 else fmpq(0)

    def direction_sentence(self, key: str, sign: int) -> None:
        V = _safe(lambda: _weights(self.problem, self.ev.get(key), key))
        if V is None:
            self.say(f"The certificate's {key} is missing or malformed.")
            return
        c2 = _safe(lambda: self.second_order(V))
        if c2 is None:
            return
        word = "descends" if sign < 0 else "ascends"
        ok = (c2 < 0) if sign < 0 else (c2 > 0)
        self.say(f"Along the certificate's {key.replace('_', ' ')} V ({_weights_text(self.problem, V)}), "
                 f"the t^2 coefficient of L(W + tV) is {c2} (recomputed), so v^T H v = {2 * c2} "
                 + (f"{'<' if sign < 0 else '>'} 0: the loss {word} to second order along V."
                    if ok else f"which is not {'negative' if sign < 0 else 'positive'}."))

    def curve_sentence(self, key: str, sign: int) -> None:
        C = _safe(lambda: _curve(self.problem, self.ev.get(key), key))
        if C is None:
            self.say(f"The certificate's {key} is missing or malformed.")
            return
        low = _safe(lambda: lowest_order(self.obj.value_along(self.W, C), 1))
        name = "W(t) = W + t C_1" + (" + t^2 C_2 + ..." if len(C) > 1 else "")
        if low is None:
            self.say(f"Along the certificate's {key.replace('_', ' ')} {name}, the loss does "
                     "not change (recomputed).")
            return
        q, c = low
        ok = (c < 0) if sign < 0 else (c > 0)
        word = "decreases" if sign < 0 else "increases"
        self.say(f"Along the certificate's {key.replace('_', ' ')} {name}, "
                 f"L(W(t)) - L(W) = {_poly_term(c, q)} + ... (lowest-order term, recomputed)"
                 + (f": the loss {word} for small t > 0." if ok else ", of the wrong sign."))

    def ascent_sentences(self) -> None:
        if "ascent_direction" in self.ev:
            self.direction_sentence("ascent_direction", +1)
        elif "ascent_curve" in self.ev:
            self.curve_sentence("ascent_curve", +1)
        else:
            self.say("The certificate gives no ascent evidence (ascent_direction or ascent_curve).")

    # -- claims ------------------------------------------------------------------------------
    def not_critical(self) -> None:
        if self.ev.get("type") == "descent-curve":
            self.curve_sentence("curve", -1)
            self.say("A negative first-order change along a curve means the directional "
                     "derivative is negative: 0 is not in the (Clarke) subdifferential, so the "
                     "point is not critical (even where the loss has a kink).")
        else:
            self.gradient_sentence()
            idx = self.ev.get("index")
            g = _safe(lambda: self.obj.gradient_vector(self.W))
            if isinstance(idx, int) and not isinstance(idx, bool) and g is not None \
                    and 0 <= idx < len(g):
                self.say(f"The certificate points at entry {idx} "
                         f"({_parameter_name(self.problem, idx)}), which is {g[idx]} "
                         "(recomputed).")
            self.say("A nonzero gradient entry means the loss decreases at first order when "
                     "that parameter moves against its sign.")

    def strict_saddle(self) -> None:
        self.gradient_sentence()
        self.inertia_sentence()
        self.direction_sentence("direction", -1)
        self.ascent_sentences()
        self.say("A critical point with a direction of negative curvature is not a local "
                 "minimum, and with an ascent direction not a local maximum either.")

    def non_strict_saddle(self) -> None:
        if self.ev.get("type") == "kink":
            self.say("The l1 loss has a kink here (a residual entry is 0), so there is no "
                     "gradient or Hessian. The certificate gives a multiplier S: 1 or -1 (the "
                     "sign) on each nonzero residual entry, a number in [-1, 1] on each zero "
                     "one; with it the chain rule's gradient is exactly 0, so 0 is in the "
                     "Clarke subdifferential: the point is critical in the nonsmooth sense.")
            self.curve_sentence("curve", -1)
            self.ascent_sentences()
            self.say("Along each curve the residual entries keep the sign of their lowest-order "
                     "term for small t > 0, so the l1 loss is one polynomial there: the kernel "
                     "expands it exactly. Neither a local minimum nor a local maximum: a saddle.")
            return
        self.gradient_sentence()
        self.inertia_sentence()
        self.curve_sentence("curve", -1)
        self.ascent_sentences()
        self.say("Second order cannot see the descent (the Hessian has no negative "
                 "eigenvalue); the curve shows it at higher order.")

    def local_extremum(self, ev: dict, sign: int) -> None:
        kind = ev.get("type")
        word = "minimum" if sign > 0 else "maximum"
        if kind == "gram-identity":
            vec, gram = ev.get("vector"), ev.get("gram")
            k = len(vec) if isinstance(vec, list) else "?"
            self.say(f"The certificate gives a polynomial identity m(x) (L(x) - L(W)) = "
                     f"{'' if sign > 0 else '-'}v(x)^T G(x) v(x) with {k} polynomials in v and a "
                     f"{len(gram) if isinstance(gram, list) else '?'} x "
                     f"{len(gram) if isinstance(gram, list) else '?'} matrix G; the kernel "
                     "expands both sides itself and checks m(W) > 0 and G(W) positive definite, "
                     f"so L(x) - L(W) has a constant sign near W: a local {word} (no Hessian "
                     "argument is needed).")
            return
        if kind == "sos-local":   # kernel/sos.py
            ball = ev.get("ball")
            self.say(f"The certificate gives a sum of squares in y = x - W: "
                     f"{'' if sign > 0 else '-'}(L(W + y) - L(W)) (1 + |y|^2)^k = m(y)^T Q m(y)"
                     + (" + (rho^2 - |y|^2) n(y)^T P n(y)" if isinstance(ball, dict) else "")
                     + " with rational PSD matrices; the kernel expands both sides itself and "
                     f"checks PSD exactly, so L {'>=' if sign > 0 else '<='} L(W) "
                     + ("on the ball |y| <= rho" if isinstance(ball, dict) else "everywhere")
                     + f": a local {word} decided by higher-order terms (no Hessian argument).")
            return
        if kind == "kink-slice":
            self.say("The l1 loss has a kink here (a residual entry is 0), so there is no "
                     "gradient or Hessian. The certificate gives a multiplier S (the sign on each "
                     "nonzero residual entry, a number in [-1, 1] on each zero one) with which "
                     "the chain rule's gradient is exactly 0: the point is critical in Clarke's "
                     "sense. Since |E_k| >= S_k E_k, the loss lies above the smooth polynomial "
                     "h = <S, E> + decay near the point and equals it there; on each kink with "
                     "|S_k| < 1 the gap grows at first order, so only the directions that move "
                     "no such kink at first order (the space N) matter. The kernel recomputes "
                     "h's Hessian on N and finds it semidefinite with kernel exactly the tangent "
                     f"of the symmetry orbit: a local {word}.")
            return
        self.gradient_sentence()
        ine = self.hessian_inertia()
        if ine is not None:
            pos, neg, zero = ine.as_tuple()
            self.say(f"The Hessian (recomputed) has inertia (+, -, 0) = ({pos}, {neg}, {zero}).")
            wrong = neg if sign > 0 else pos
            if wrong:
                self.say(f"It has {_plural(wrong, 'negative' if sign > 0 else 'positive')} "
                         f"eigenvalue{'' if wrong == 1 else 's'}, so the point cannot be a "
                         f"local {word}.")
        if kind == "definite-hessian":
            self.say(f"A critical point with a {'positive' if sign > 0 else 'negative'} definite "
                     f"Hessian is a strict local {word}.")
        elif kind == "slice":
            orthogonal = self.problem.weight_decay != 0 or self.problem.symmetric
            group = "O" if orthogonal else "GL"
            T = _safe(lambda: self.obj.orbit_tangent(self.W, orthogonal=orthogonal))
            N = self.problem.n_params
            dimT = None
            if T is not None:
                dimT = rank(fmpq_mat(N, len(T), [T[j][i] for i in range(N)
                                                       for j in range(len(T))])) if T else 0
            rH = None if ine is None else N - ine.zero
            nums = (f"rank H = {rH} and the orbit tangent has dimension {dimT} "
                    f"(recomputed), {rH} + {dimT} = {rH + dimT} of {N} parameters"
                    if rH is not None and dimT is not None else "")
            self.say(f"Slice argument: the loss is invariant under the symmetry group {group} "
                     f"(the certificate says {ev.get('group', group)}); the Hessian is "
                     f"semidefinite and its kernel is exactly the tangent of the symmetry orbit"
                     + (f" ({nums})" if nums else "") + ". Every flat direction is a symmetry, "
                     f"so on a slice transversal to the orbit the Hessian is definite: a local "
                     f"{word}.")
        else:
            self.say(f"The certificate's evidence type {kind!r} is not one the kernel accepts "
                     "for this claim.")

    def global_minimum(self) -> None:
        kind = self.ev.get("type")
        loss = self.problem.loss
        if kind == "sos-lower-bound":   # kernel/sos.py
            self.say(f"The certificate gives a sum of squares: (1 + |x|^2)^k (L(x) - {self.value}) = "
                     "m(x)^T Q m(x) with a rational PSD matrix Q; the kernel expands both sides "
                     f"itself and checks Q PSD exactly, so L >= {self.value} (recomputed) "
                     "everywhere, which the point attains.")
        elif kind == "interval-lower-bound":   # kernel/interval_bnb.py
            ev = self.ev
            w, rho = ev.get("weights"), ev.get("rho")
            space = ("the entries of the loss argument E around E(W) (L = l(E), no weight decay)"
                     if ev.get("space") == "argument" else "the parameters around W")
            self.say(f"The certificate proves L >= {self.value} (recomputed) everywhere by interval "
                     f"branch and bound in {space}: far away, the leading part of L - {self.value} "
                     f"(weights {w}) is bounded below on the faces of a cube and outgrows the "
                     f"rest beyond the radius rho = {rho}; inside the box, every leaf of a "
                     "bisection tree either bounds L below exactly (the polynomial expanded at the "
                     "box centre) or is a convex piece whose Hessian is proven >= lambda I. The "
                     "kernel recomputes every bound, so the point, which attains the value, is a "
                     "global minimum.")
        elif kind == "zero-lower-bound":
            nonneg = getattr(loss, "nonnegative", None) is True
            self.say(f"The loss is {'proven' if nonneg else 'NOT proven'} nonnegative, so 0 is a "
                     f"lower bound; the value here is {self.value} (recomputed)"
                     + (", which attains it." if self.value == 0 else ", which is not 0."))
        elif kind == "square-loss-optimum":
            from landscape_proofs.kernel.optimum import compare_with_square_optimum

            p = self.problem
            s = _safe(lambda: compare_with_square_optimum(p.X, p.Y, p.max_rank, self.value))
            rel = {0: "equals", 1: "is above", -1: "is below", None: "could not be compared with"}[s]
            self.say(f"The product W_H ... W_1 has rank at most {p.max_rank} (the narrowest "
                     "layer). The least square loss over all matrices of that rank has a closed "
                     "form (reduced-rank regression, Eckart-Young); the kernel decides exactly, "
                     f"from the eigenvalues of (YP)(YP)^T, that the value {self.value} {rel} it.")
        elif kind == "convex-stationary":
            G = _safe(lambda: self.obj.function_gradient(self.W))
            zero = G is not None and all(x == 0 for x in G.entries())
            if "multiplier" in self.ev:
                self.multiplier_sentence()
            else:
                self.say("The function-space gradient dl/dR at R = W_H ... W_1 is "
                         f"{'exactly zero' if zero else 'NOT zero'} (recomputed).")
            self.say("The loss is convex in R, so R minimises it over all matrices; every point "
                     "W' gives some matrix W'_H ... W'_1, hence L(W') >= L(W): a global minimum.")
        elif kind == "isolated-critical-value":   # kernel/critical_values.py
            from landscape_proofs.kernel.critical_values import isolate_global

            why = _safe(lambda: isolate_global(self.problem, self.value, self.value))
            self.say("For the square loss (deep linear without decay, deep linear with a scalar "
                     "decay and whitened data, or l(U U^T)) every critical value is one of "
                     "finitely many algebraic numbers: a constant minus sums of eigenvalues, of "
                     "their squares, or of the values of one-dimensional problems per singular "
                     "value (docs/certificates.md, \"Isolated critical values\"). The kernel "
                     "isolates them exactly" + (f": {why}." if why else
                                               f", and could NOT show that the value {self.value} "
                                               "is the least of them."))
        elif kind == "psd-cone-optimality":
            self.say("For l(U U^T) with a convex l: with S = sym(dl/dZ) + lam/2 I at Z = U U^T, "
                     "S positive semidefinite and <S, U U^T> = 0 are the optimality conditions "
                     "over the cone of PSD matrices, which contains every U' U'^T.")
            if "multiplier" in self.ev:
                self.say("At this point the l1 loss has a kink (a zero residual): dl/dZ is the "
                         "certificate's multiplier, a subgradient (sign(E_ij) where E_ij != 0, "
                         "in [-1, 1] where E_ij = 0), which the kernel checks.")
            facts = _safe(self.psd_cone_facts)
            if facts is not None:
                (pos, neg, zero), pairing = facts
                self.say(f"Here S has inertia (+, -, 0) = ({pos}, {neg}, {zero}) and "
                         f"<S, U U^T> = {pairing} (recomputed).")
        elif kind in ("census", "narrow-census"):
            c = self.ev.get("census") if isinstance(self.ev.get("census"), dict) else {}
            n = len(c.get("roots", [])) if isinstance(c.get("roots"), list) else "?"
            if kind == "narrow-census":
                self.say("With a scalar weight decay the least decay of a product R over all its "
                         "factorizations is (H lam/2) sum_j sigma_j(R)^(2/H), reached with hidden "
                         "widths as small as rank R; so the problem with every hidden width cut "
                         "to the narrowest width has the same infimum. The certificate carries a "
                         "census of that narrowed problem, which the kernel re-checks from "
                         f"scratch ({n} roots listed, their sign flips expanded). At a critical "
                         "point the layers are balanced (W_(i+1)^T W_(i+1) = W_i W_i^T), so a "
                         "rotation of each hidden layer switches off all but rank R units: the "
                         f"value {self.value} (recomputed) is a critical value of the narrowed "
                         "problem, and the kernel checks that only global minima of the census "
                         "have it.")
            else:
                self.say("The certificate carries a census of this very problem: every real "
                         "critical point, each in a small cube proven to hold exactly one "
                         f"({n} roots listed, their sign flips expanded), found by a branch and "
                         "bound over a box that provably holds them all. The loss grows at "
                         "infinity (weight decay), so its minimum is the least critical value. "
                         "The point, critical, is one of the census roots; the kernel re-checks "
                         "the census and that every root whose value enclosure meets the "
                         "point's value is classified global.")
        elif kind == "nuclear-dual-bound":
            self.say("Towers of one or two layers B A with a weight decay (alpha on A, beta on B, "
                     "entry by entry): for each hidden unit u, alpha_u/2 o A_u^2 + beta_u/2 o "
                     "B_u^2 >= |D_alpha_u^1/2 A_u| |D_beta_u^1/2 B_u| >= B_u^T G A_u^T when "
                     "||D_beta_u^-1/2 G D_alpha_u^-1/2||_2 <= 1, with G = -dl/dR; so the decay "
                     "is at least <G, B'A'> at every point, with equality at a critical point. "
                     "The kernel checks criticality entry by entry and that norm bound (the "
                     "inertia of D_alpha - G^T D_beta^-1 G) for every unit, exactly; convexity "
                     "of the loss does the rest.")
        elif kind == "nuclear-norm-bound":
            self.say("Two layers, the square loss, X = I and a weight decay lam: |W_1|^2 + "
                     "|W_2|^2 >= 2 |W_2 W_1|_*, so L is at least min 1/2 |R - Y|^2 + lam |R|_* "
                     "over the reachable ranks, a closed form (soft thresholding of Y's singular "
                     f"values) that the kernel computes exactly and finds equal to {self.value}.")
        elif kind == "psd-rank-optimum":
            self.say("l(U U^T) with the square loss: the best PSD matrix of rank <= k keeps the "
                     "k largest positive eigenvalues of Y (the rest set to 0); the kernel "
                     f"computes that optimum exactly and finds it equal to {self.value}.")
        elif kind == "sos-local" and self.ev.get("ball") is None:
            self.say(f"The certificate gives a sum of squares: (1 + |y|^2)^k (L(W + y) - {self.value}) "
                     "= m(y)^T Q m(y) for every y, with Q rational and PSD (the kernel expands "
                     f"both sides), so L >= {self.value} everywhere.")
        else:
            self.say(f"The certificate's evidence type {kind!r} is not one the kernel accepts "
                     "for this claim.")

    def multiplier_sentence(self) -> None:
        E = _safe(lambda: self.obj.loss_argument(self.W))
        S = _safe(lambda: read_matrix(self.ev.get("multiplier"), "multiplier",
                                      (E.nrows(), E.ncols())))
        if E is None or S is None:
            self.say("The certificate's subgradient multiplier is missing or malformed.")
            return
        SX = _safe(lambda: S * self.problem.X.transpose())
        zero = SX is not None and all(x == 0 for x in SX.entries())
        kinks = sum(1 for x in E.entries() if x == 0)
        self.say(f"The residual E = W_H ... W_1 X - Y = {_matrix_text(E)} (recomputed) has "
                 f"{_plural(kinks, 'zero entry', 'zero entries')}, where the l1 loss has a kink. "
                 f"The certificate's multiplier S = {_matrix_text(S)} is a subgradient of the "
                 "loss there (S_ij = sign(E_ij) where E_ij != 0, |S_ij| <= 1 where E_ij = 0), "
                 f"and S X^T {'= 0' if zero else '!= 0'} (recomputed): 0 is in the "
                 "subdifferential of the loss as a function of the product.")

    def psd_cone_facts(self):
        if "multiplier" in self.ev:     # an l1 kink: the multiplier is the subgradient
            E = self.obj.loss_argument(self.W)
            G = read_matrix(self.ev.get("multiplier"), "multiplier", (E.nrows(), E.ncols()))
        else:
            G = self.obj.function_gradient(self.W)
        S = (G + G.transpose()) / 2
        for i in range(S.nrows()):
            S[i, i] += self.obj.lam / 2
        R = self.obj.product(self.W)
        pairing = sum((S[i, j] * R[i, j] for i in range(S.nrows()) for j in range(S.ncols())),
                      fmpq(0))
        return inertia(S).as_tuple(), pairing

    def spurious(self) -> None:
        local = self.ev.get("local_minimum")
        if isinstance(local, dict):
            self.local_extremum(local, +1)
        else:
            self.say("The certificate gives no local-minimum evidence.")
        better = _safe(lambda: _weights(self.problem, self.ev.get("better_point"), "better_point"))
        if better is None:
            self.say("The certificate's better point is missing or malformed.")
            return
        v2 = _safe(lambda: self.obj.value(better))
        if v2 is None:
            return
        ok = self.value is not None and v2 < self.value
        self.say(f"The certificate's better point ({_weights_text(self.problem, better)}) has "
                 f"value {v2} (recomputed), " + (f"below {self.value}: the local minimum is not "
                                                 "global." if ok else f"not below {self.value}."))

    def run(self) -> list[str]:
        self.say(f"Problem: {_problem_text(self.problem)}.")
        self.value_sentence()
        claim = self.data.get("claim")
        if claim == "not-critical":
            self.not_critical()
        elif claim == "strict-saddle":
            self.strict_saddle()
        elif claim in ("non-strict-saddle", "nonsmooth-saddle"):
            self.non_strict_saddle()
        elif claim in ("local-minimum", "local-maximum"):
            self.local_extremum(self.ev, +1 if claim == "local-minimum" else -1)
        elif claim == "global-minimum":
            self.global_minimum()
        elif claim == "spurious-local-minimum":
            self.spurious()
        return self.out


def _enclosure_argument(data: dict) -> list[str]:
    problem = read_problem(data["problem"])
    enc = read_enclosure(data["point"], problem)
    ev = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
    bits = ev.get("precision_bits")
    out = [f"Problem: {_problem_text(problem)}.",
           f"The point is irrational, so the certificate gives a box instead: a center with "
           f"exact rational coordinates, radius {enc.radius} in {len(enc.free)} free "
           f"coordinate{'' if len(enc.free) == 1 else 's'}"
           + (f" ({_plural(len(enc.center) - len(enc.free), 'other coordinate is', 'other coordinates are')} "
              "fixed to choose one point of each symmetry orbit)."
              if len(enc.free) < len(enc.center) else ".")]
    if isinstance(bits, int) and not isinstance(bits, bool):
        out.append(f"Everything is computed with interval (arb ball) arithmetic at {bits} bits "
                   "of precision; the precision only affects how tight the balls are, never "
                   "soundness.")
        bounds = _safe(lambda: enclose_value(problem, enc, bits))
        if bounds is not None:
            lo, hi = bounds
            about = arb((lo + hi) / 2).str(10, radius=False)
            out.append(f"Over the whole box the loss lies in [{lo}, {hi}], about {about} "
                       "(recomputed).")
    better = ev.get("spurious") if isinstance(ev.get("spurious"), dict) else {}
    if "point" in better:
        W2 = _safe(lambda: _weights(problem, better["point"], "better point"))
        v2 = _safe(lambda: Objective(problem).value(W2)) if W2 is not None else None
        if v2 is not None:
            out.append(f"The certificate's better point (exact) has value {v2} (recomputed), "
                       "which the kernel compares with the lower end of the box's values.")
    gl = ev.get("global") if isinstance(ev.get("global"), dict) else {}
    if gl.get("type") in ("census", "narrow-census"):
        out.append("The certificate carries a census (every real critical point, each in a cube "
                   "proven to hold exactly one) of " + ("this problem" if gl["type"] == "census"
                   else "the problem with every hidden width cut to the narrowest one, which "
                   "has the same infimum and, with a scalar decay, every critical value of "
                   "this one") + ": the enclosed critical point's value can only be one of "
                   "its critical values, and the kernel checks that every census root whose "
                   "value enclosure meets the box's is a global minimum.")
    out.append("A Krawczyk test proves that exactly one zero of the gradient on the slice lies "
               "in the box, and transversality to the symmetry orbit makes it a critical point "
               "of the whole problem; the kind then follows from enclosures of the Hessian "
               "(a negative and a positive curvature direction, or positive LDL^T pivots), of "
               "the value, or of the function-space gradient, valid at every point of the box.")
    return out


def _shallow_argument(data: dict) -> list[str]:
    ev = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
    prob = data["problem"]
    shape, p = prob.get("shape"), prob.get("rank")
    out = [f"Problem: a shallow rank-constrained problem (R of shape {shape}, rank <= {p})."]
    R = _safe(lambda: read_matrix(data["point"]["R"], "R", (None, None)))
    U = _safe(lambda: read_matrix(ev.get("U"), "U", (None, None)))
    V = _safe(lambda: read_matrix(ev.get("V"), "V", (None, None)))
    if R is not None and U is not None and V is not None:
        same = _safe(lambda: U * V == R)
        out.append(f"The certificate factors R = U V ({'checked' if same else 'which is FALSE'}); "
                   f"rank(U) = {rank(U)}, rank(V) = {rank(V)}, rank(R) = {rank(R)} (recomputed). "
                   "When the three ranks are equal, the map (U, V) -> U V is locally open onto "
                   f"the matrices of rank <= {p}, so a statement about the lifted deep-linear "
                   "point (W_1, W_2) = (V, U) is one about R on that set.")
    inner = ev.get("deep_certificate")
    if isinstance(inner, dict) and not is_shallow_certificate(inner):
        sub = _safe(lambda: _argument(inner))
        if sub:
            out.append("For the lifted point: " + " ".join(sub[1:]))
    claim = data.get("claim")
    if claim in ON_THE_SET:
        out.append(f"Conclusion: {ON_THE_SET[claim]}.")
    return out


def _census_argument(data: dict) -> list[str]:
    """A census or product census: what the certificate says and how each part is checked
    (the counts are the kernel's, in its reason; here only what the file says, so stated)."""
    if isinstance(data.get("product_census"), dict):
        c = data["product_census"]
        out = [f"The certificate says the critical points lie over {_plural(len(c.get('fibres', [])), 'product')} "
               f"R of rank <= {c.get('max_rank')}, one for each subset of the positive "
               f"eigenvalues of Sigma ({', '.join(map(str, c.get('eigenvalues', [])))}) of that size; "
               "every critical point's product is one of them, so they are all."]
        for f in c.get("fibres", []):
            if isinstance(f, dict):
                out.append(f"The fibre over the eigenvalue subset {f.get('subset')} (rank "
                           f"{f.get('rank')}): value {f.get('value')}, kind {f.get('kind')}.")
        out.append("The kernel recomputes the eigenvalues, each product and value exactly, and "
                   "classifies each fibre itself; a listed kind or value it does not derive "
                   "makes the certificate fail.")
        return out
    c = data.get("census") if isinstance(data.get("census"), dict) else {}
    result = c.get("result") if isinstance(c.get("result"), dict) else {}
    kinds = result.get("kinds") if isinstance(result.get("kinds"), dict) else {}
    sym = c.get("symmetry") if isinstance(c.get("symmetry"), dict) else {}
    return [
        f"The certificate says there are exactly {result.get('real_count')} real critical "
        f"points: " + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ".",
        f"Outside the box [-b, b] (b = {', '.join(map(str, c.get('bound', [])))} per "
        "coordinate) the gradient cannot vanish: the kernel checks that bound against the "
        "data and the weight decay.",
        f"Inside, a tree of {_plural(len(c.get('tree', [])), 'node')} splits the box; each leaf "
        "is shown by interval arithmetic to hold no critical point, or to hold exactly one "
        f"(Krawczyk's test) around one of the {_plural(len(c.get('roots', [])), 'listed root')}"
        + (f", the other points being their sign flips in the coordinates {sym.get('nonnegative')}"
           if sym.get("nonnegative") else "") + ".",
        "Each point's index comes from an interval LDL^T of its congruent Hessian; a local "
        "minimum is global when its value enclosure lies below every other critical value's, "
        "spurious when above some, global too when it ties exactly (a root at an exact "
        "center), and stays local-minimum when the values cannot be separated.",
    ]


def _argument(data: dict) -> list[str]:
    if isinstance(data.get("census"), dict) or isinstance(data.get("product_census"), dict):
        return _census_argument(data)
    if is_shallow_certificate(data):
        return _shallow_argument(data)
    if is_enclosure_point(data.get("point")):
        return _enclosure_argument(data)
    return _Explainer(data).run()


def certificate_explanation(data: dict) -> dict:
    """``{"claim", "holds", "summary", "argument": [...], "checked"}`` for a certificate.

    Raises :class:`InputError` when the certificate is unusable (as ``landscape verify``).
    """
    verdict = check_certificate(data)      # InputError for an unusable certificate
    claim = data.get("claim")
    claim = claim if isinstance(claim, str) else repr(claim)   # a list or dict is no key
    name, _, words = CLAIM_WORDS.get(claim, f"{claim!r}: not a kind the kernel can certify").partition(": ")
    rank_bound = data["problem"].get("rank", "p") if is_shallow_certificate(data) else None
    where = (f"R, on the set of matrices of rank <= {rank_bound}," if rank_bound is not None
             else "the point enclosed in the box" if is_enclosure_point(data.get("point"))
             else "the point")
    summary = (f"The certificate claims that {where} is {name} ({claim}): {words}. The kernel re-checked "
               f"it from scratch: the claim {'HOLDS' if verdict.holds else 'does NOT hold'}.")
    if claim in ("census", "product-census"):
        summary = (f"The certificate claims ({claim}) that it accounts for every real critical "
                   "point of the problem (a census: point by point; a product census: fibre by "
                   "fibre over the critical products), with kinds and values. The kernel re-checked it from "
                   f"scratch: the claim {'HOLDS' if verdict.holds else 'does NOT hold'}.")
    try:
        argument = _argument(data)
    except (InputError, LandscapeError, ArithmeticError) as exc:  # unusable parts: say so
        argument = [f"The certificate cannot be read in full: {exc}."]
    checked = verdict.reason
    if verdict.relies_on:
        checked += f" [relies on {', '.join(verdict.relies_on)}]"
    return {"claim": claim, "holds": verdict.holds, "summary": summary,
            "argument": argument, "checked": checked}


def explain_certificate(data: dict) -> str:
    """A certificate in plain language (see the module docstring)."""
    return render_explanation(certificate_explanation(data))


def render_explanation(e: dict) -> str:
    """The text of a :func:`certificate_explanation` dict."""
    lines = [e["summary"], "", "Why:"]
    lines += [f"  - {s}" for s in e["argument"]]
    lines += ["", f"How the kernel checked it ({'holds' if e['holds'] else 'does NOT hold'}): "
                  f"{e['checked']}"]
    return "\n".join(lines)
