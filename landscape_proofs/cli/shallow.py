"""``landscape shallow PROBLEM POINT``: classify R on the set rank <= p of a shallow-rank
problem (through its lift), with its global solution."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.output import (EXIT_OK, add_full_option, certificate_written_line,
                                         emit_json, examples, say, write_certificate_option)
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    sh = sub.add_parser("shallow", help="classify R on the set rank <= p of a shallow-rank "
                        "problem, with its global solution (square loss)",
                        **examples("landscape shallow problem.json point.json",
                                   "landscape shallow problem.json point.json --certificate "
                                   "cert.json",
                                   "landscape classify problem.json point.json   # the same"))
    sh.add_argument("problem", metavar="PROBLEM")
    sh.add_argument("point", metavar="POINT")
    sh.add_argument("--json", action="store_true")
    sh.add_argument("--certificate", metavar="OUT", help="write the certificate to OUT")
    sh.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    add_full_option(sh)
    sh.set_defaults(func=run)


def run(args) -> int:
    """Also ``classify`` on a shallow-rank problem (same options)."""
    problem = api.load_problem(args.problem)
    if getattr(problem, "layered", True):        # not a shallow-rank problem
        raise InputError('expected a problem of the family "shallow-rank"', field="family",
                         got=problem.family, source=args.problem)
    point = api.load_point(args.point, problem)
    result = api.classify_shallow(problem, point, seed=args.seed)
    write_certificate_option(args, result)
    if args.json:
        emit_json(result.to_json())
    else:
        from landscape_proofs.produce.shallow import classification_lines

        say("\n".join(classification_lines(result)), args)
        certificate_written_line(args, result)
    return EXIT_OK
