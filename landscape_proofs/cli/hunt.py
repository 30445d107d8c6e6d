"""``landscape hunt``: search over instances for a spurious local minimum (Hypothesis).

Exit status: 0 when nothing was found, 1 when a counterexample to the property was found and
certified (as ``landscape check`` does for theorems).
"""
from __future__ import annotations

from pathlib import Path

from landscape_proofs import api
from landscape_proofs.cli.arguments import count, seed
from landscape_proofs.cli.output import (EXIT_FAIL, EXIT_OK, add_full_option, emit_json,
                                         examples, progress, say)
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    h = sub.add_parser("hunt", help="search over instances for a spurious local minimum "
                       "(exit 1 when one is found and certified)",
                       **examples("landscape hunt --max-examples 20",
                                  "landscape hunt --bottleneck --loss weighted --out found/",
                                  "landscape hunt --family multi-tower --json --no-progress"))
    h.add_argument("--property", choices=("no-spurious-minimum",), default="no-spurious-minimum",
                   help="the property to refute: every local minimum reached is global")
    h.add_argument("--family", default=None, metavar="FAMILY",
                   help="the problem family to hunt over: deep-linear (default), multi-tower "
                   "(sums of towers, --max-depth per tower) or symmetric-factorization (l(U U^T), "
                   "U n x k with n, k <= --max-width); checked by the search layer")
    h.add_argument("--min-towers", type=count, default=2, help="multi-tower: fewest towers "
                   "(default 2)")
    h.add_argument("--max-towers", type=count, default=2, help="multi-tower: most towers "
                   "(default 2)")
    h.add_argument("--loss", action="append", metavar="LOSS",
                   help="loss family, repeatable: square (default), power4, l1, or weighted = "
                        "sum_ij c_ij (R_ij - T_ij)^2 of the product; checked by the search layer")
    g = h.add_mutually_exclusive_group()
    g.add_argument("--bottleneck", dest="bottleneck", action="store_true", default=None,
                   help="only instances with a bottleneck")
    g.add_argument("--no-bottleneck", dest="bottleneck", action="store_false",
                   help="only instances without a bottleneck")
    w = h.add_mutually_exclusive_group()
    w.add_argument("--weight-decay", dest="weight_decay", action="store_true", default=False,
                   help="only instances with weight decay > 0")
    w.add_argument("--any-weight-decay", dest="weight_decay", action="store_const", const=None,
                   help="instances with or without weight decay")
    h.add_argument("--min-depth", type=count, default=1)
    h.add_argument("--max-depth", type=count, default=3)
    h.add_argument("--max-width", type=count, default=3)
    h.add_argument("--max-entry", type=count, default=3, help="largest |entry| of the data")
    h.add_argument("--data", choices=("identity", "full-row-rank", "any"), default="identity",
                   help="the data matrix X (default identity)")
    h.add_argument("--max-examples", type=count, default=40, help="instances to try (default 40)")
    h.add_argument("--starts", type=count, default=12, help="search starts per instance")
    h.add_argument("--seed", type=seed, default=0)
    h.add_argument("--no-shrink", action="store_true", help="keep the first counterexample")
    h.add_argument("--out", metavar="FILE", help="write the certificate to FILE (or DIR/)")
    h.add_argument("--no-progress", action="store_true")
    h.add_argument("--json", action="store_true")
    add_full_option(h)
    h.set_defaults(func=run)


def run(args) -> int:
    from landscape_proofs.search.hunt import HuntConfig, HuntConstraints, hunt

    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise InputError('landscape hunt needs Hypothesis: pip install "landscape-proofs[hunt]"') from None

    chosen = {"losses": tuple(args.loss)} if args.loss else {}   # the defaults are the search layer's
    if args.family is not None:
        chosen["family"] = args.family
    cons = HuntConstraints(bottleneck=args.bottleneck, weight_decay=args.weight_decay,
                           min_depth=args.min_depth, max_depth=args.max_depth,
                           max_width=args.max_width, data=args.data, max_entry=args.max_entry,
                           min_towers=args.min_towers, max_towers=args.max_towers, **chosen)
    cons.strategy()  # validates the constraints (InputError) before any work
    cfg = HuntConfig(constraints=cons, max_examples=args.max_examples, starts=args.starts,
                     seed=args.seed, shrink=not args.no_shrink)
    bar = progress(not args.no_progress)
    try:
        report = hunt(cfg, progress=bar)
    finally:
        bar.close()
    written = None
    if report.found and args.out:
        out = Path(args.out)
        target = out / "spurious-local-minimum.json" if out.is_dir() or args.out.endswith("/") else out
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            api.write_certificate(report.certificate, target)
        except OSError as exc:
            raise InputError(f"cannot write the certificate ({exc.strerror})", source=args.out) from None
        written = str(target)
    if args.json:
        data = report.to_json()
        data["certificate_file"] = written
        emit_json(data)
    else:
        say(report.text(), args)
        if written:
            print(f"certificate written to {written} (check it with `landscape verify {written}`)")
    return EXIT_FAIL if report.found else EXIT_OK
