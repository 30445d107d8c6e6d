"""The number of complex critical points, by a Groebner basis over Q (the algebraic route).

For a census problem (square loss, every decay entry positive) the critical points are the
common zeros in C^N of the N polynomials ``dL/dw_p`` with rational coefficients.  This module

1. builds them exactly (``symbolic/derive.py``'s objective, differentiated by SymPy);
2. computes a reduced Groebner basis ``G`` of the ideal ``I`` they generate (grevlex, over Q);
3. checks that ``I`` is zero-dimensional (finitely many complex zeros) and counts the standard
   monomials, the monomials divisible by no leading monomial of ``G``: their number is
   ``dim_Q Q[w]/I``, the number of complex zeros counted with multiplicity;
4. proves every zero simple and distinct: for a linear form ``l`` the multiplication matrix
   of ``l`` on ``Q[w]/I`` has as eigenvalues the values of ``l`` at the zeros, each repeated
   by its multiplicity (Stickelberger); if its characteristic polynomial is squarefree, every
   zero has multiplicity 1, so the count is the number of distinct complex critical points
   (``complex_count``).

Exact algebra throughout, but done by SymPy in the producer: the kernel does not re-check
it (the real points and their count are the kernel's).  The work runs in a child process so
that a time budget can stop it (SymPy's Groebner bases cannot be interrupted otherwise).
"""
from __future__ import annotations

import itertools

__all__ = ["complex_count"]

#: at most this many parameters (the standard-monomial enumeration and det H grow fast)
MAX_PARAMS = 12


def _count(problem: dict) -> tuple[int | None, str]:
    import sympy

    from landscape_proofs.families.io import problem_from_dict
    from landscape_proofs.symbolic.derive import derive_objective, parameter_symbols

    p = problem_from_dict(problem)
    L = derive_objective(p)
    xs = parameter_symbols(p)
    grads = [sympy.expand(sympy.diff(L, x)) for x in xs]
    G = sympy.groebner(grads, *xs, order="grevlex", domain="QQ")
    if not G.is_zero_dimensional:
        return None, "the gradient ideal is not zero-dimensional: infinitely many complex critical points"
    leads = [sympy.Poly(g, *xs).monoms(order="grevlex")[0] for g in G.exprs]
    n = len(xs)
    # zero-dimensional: for every variable some leading monomial is a pure power of it
    bounds = [min(m[i] for m in leads if all(m[j] == 0 for j in range(n) if j != i))
              for i in range(n)]
    count = sum(1 for e in itertools.product(*(range(b) for b in bounds))
                if not any(all(e[i] >= m[i] for i in range(n)) for m in leads))
    if _separated_and_simple(G, xs, [e for e in itertools.product(*(range(b) for b in bounds))
                                     if not any(all(e[i] >= m[i] for i in range(n)) for m in leads)]):
        return count, (f"{count} complex critical points (Groebner basis over Q: dim Q[w]/I = "
                       f"{count}; every one simple: a linear form's multiplication matrix has a "
                       "squarefree characteristic polynomial)")
    return None, (f"{count} complex critical points counted with multiplicity; whether all are "
                  "simple was not decided")


def _separated_and_simple(G, xs, basis) -> bool:
    """True when, for one of a few linear forms l, the characteristic polynomial of
    multiplication by l on Q[w]/I (in the standard-monomial basis) is squarefree: its roots
    are the values of l at the zeros, counted with multiplicity, so they are pairwise distinct
    and every zero is simple.  (False only says the test did not succeed.)"""
    import sympy
    from flint import fmpq, fmpq_mat, fmpq_poly

    index = {e: k for k, e in enumerate(basis)}
    m = len(basis)
    for trial in range(3):
        ell = sum((1 + (7 * i + 3 * trial) % 11) * x for i, x in enumerate(xs))
        M = fmpq_mat(m, m)
        for col, e in enumerate(basis):
            mono = sympy.Mul(*[x ** k for x, k in zip(xs, e)])
            rem = G.reduce(sympy.expand(ell * mono))[1]
            if rem == 0:
                continue
            for mon, coeff in sympy.Poly(rem, *xs).terms():
                if mon not in index:
                    return False          # not a normal form: should not happen
                M[index[mon], col] = fmpq(int(coeff.p), int(coeff.q))
        p = M.charpoly()
        p = fmpq_poly([p[i] for i in range(p.degree() + 1)])
        if p.gcd(p.derivative()).degree() == 0:
            return True
    return False


def complex_count(problem: dict, n_params: int, timeout: float) -> tuple[int | None, str]:
    """(the number of distinct complex critical points, or None; what was found), within
    ``timeout`` seconds: the work runs in a forked child (plain ``os.fork``, so that it also
    works inside a daemon worker), killed when the budget runs out or its parent dies."""
    import os
    import pickle
    import select
    import signal
    import time

    if timeout <= 0:
        return None, "not computed (no time budget for the algebraic count)"
    if n_params > MAX_PARAMS:
        return None, f"not computed: the algebraic count is limited to {MAX_PARAMS} parameters"
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:                                        # the child
        os.close(read_fd)
        try:
            from landscape_proofs.budget import start_parent_watchdog

            start_parent_watchdog(parent)
            try:
                answer = _count(problem)
            except Exception as exc:  # reported, never raised across the process boundary
                answer = (None, f"the Groebner computation failed ({type(exc).__name__})")
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(pickle.dumps(answer))
        finally:
            os._exit(0)
    os.close(write_fd)
    data, end = b"", time.monotonic() + timeout
    try:
        with os.fdopen(read_fd, "rb") as fh:
            while True:
                left = end - time.monotonic()
                if left <= 0 or not select.select([fh], [], [], left)[0]:
                    return None, f"not computed: the Groebner computation took more than {timeout:g} s"
                chunk = os.read(fh.fileno(), 1 << 16)
                if not chunk:
                    break
                data += chunk
        try:
            count, note = pickle.loads(data)
        except Exception:
            return None, "not computed: the Groebner computation stopped without an answer"
        return count, note
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
