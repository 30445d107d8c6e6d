"""``landscape search PROBLEM``: multi-start descent; classify and certify every limit point."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.arguments import count, seed, seconds
from landscape_proofs.cli.output import (EXIT_OK, add_full_option, emit_json, examples,
                                         precheck_figure, prepare_out_dir,
                                         progress, say)


def register(sub) -> None:
    s = sub.add_parser("search", help="multi-start descent; classify and certify every limit point",
                       **examples("landscape search problem.json --starts 100",
                                  "landscape search problem.json --out certs/ --seed 1",
                                  "landscape search problem.json --json --runs --no-progress"))
    s.add_argument("problem", metavar="PROBLEM")
    s.add_argument("--starts", type=count, default=200, help="number of starts (default 200)")
    s.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    s.add_argument("--out", metavar="DIR", help="write the certificates and search.json to DIR")
    s.add_argument("--method", choices=("hybrid", "newton", "gradient"), default="hybrid",
                   help="local method (default hybrid: gradient steps, then saddle-free Newton)")
    s.add_argument("--timeout", type=seconds, metavar="SECONDS",
                   help="stop classifying after this long; what finished is kept and the report "
                   "says complete: false (Ctrl-C while certifying does the same)")
    s.add_argument("--runs", action="store_true", help="with --json: include every run")
    s.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--plot", metavar="FILE", help="also draw the values and kinds found "
                   "(FILE.png or FILE.svg; needs the plot extra)")
    add_full_option(s)
    s.set_defaults(func=run)


def run(args) -> int:
    precheck_figure(args.plot, "--plot")   # refuse a bad --plot before the work
    problem = api.load_problem(args.problem)
    prepare_out_dir(args.out)
    bar = progress(not args.no_progress)
    try:
        report = api.search(problem, starts=args.starts, seed=args.seed, method=args.method,
                            progress=bar, out_dir=args.out, timeout=args.timeout)
    finally:
        bar.close()
    if args.plot:
        api.plot(report, path=args.plot)
    if args.json:
        emit_json(report.to_json(include_starts=args.runs))
    else:
        print(f"landscape search {args.problem}")
        say(report.table(), args)
        if args.out:
            print(f"certificates and search.json written to {args.out}")
        if args.plot:
            print(f"figure written to {args.plot}")
    return EXIT_OK
