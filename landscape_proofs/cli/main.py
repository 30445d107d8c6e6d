"""The ``landscape`` command: the parser, the dispatch and the error guard.

Every command lives in its own module of ``landscape_proofs.cli`` (``register(sub)`` adds its
subparser, ``run(args) -> int`` does the work through :mod:`landscape_proofs.api`).

Exit status: 0 a result was produced (``verify``: every certificate holds), 1 a certificate
does not establish its claim (``verify``) or a tour example went wrong, 2 unusable input
(one line on stderr naming the file, the field and what was expected; never a traceback).
"""
from __future__ import annotations

import argparse
import functools
import os
import sys

from landscape_proofs.cli import (campaign, census, classify, derive, experiment, hunt, openness,
                                  search, shallow, theorems, tour, verify)
from landscape_proofs.cli.output import EXIT_FAIL, EXIT_INPUT, EXIT_OK, error_line, examples
from landscape_proofs.kernel.errors import InputError

__all__ = ["EXIT_FAIL", "EXIT_INPUT", "EXIT_OK", "build_parser", "main"]

# In the order of ``landscape --help``; ``theorems`` registers theorems, check and explain.
COMMANDS = (classify, verify, derive, tour, theorems, search, census, hunt, campaign, experiment,
            openness, shallow)
from landscape_proofs.cli import plot as _plot  # noqa: E402
COMMANDS += (_plot,)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise InputError(message if self.prog == "landscape" else f"{self.prog}: {message}")


@functools.lru_cache(maxsize=1)
def version() -> str:
    """``landscape-proofs X.Y.Z``: the installed package's version (else ``__version__``)."""
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as _version

        return f"landscape-proofs {_version('landscape-proofs')}"
    except (ImportError, PackageNotFoundError):
        import landscape_proofs

        return f"landscape-proofs {landscape_proofs.__version__}"


class _Version(argparse.Action):
    """``--version``: looked up only when asked (the package metadata is read once)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="print the version and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="landscape", description="Exact, certified facts about the landscapes of "
                "deep linear networks.", **examples(
                    "landscape tour --out certs/          # the bundled examples, certified",
                    "landscape classify problem.json point.json --certificate cert.json",
                    "landscape explain cert.json          # the certificate in plain language",
                    "landscape COMMAND --help             # each command's options and examples"))
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser()
        if not argv:  # the usage, then one clean error line
            sys.stderr.write(parser.format_usage())
            raise InputError("the following arguments are required: COMMAND "
                             "(`landscape --help` lists the commands)")
        args = parser.parse_args(argv)
        return args.func(args)
    except InputError as exc:
        print(error_line(exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("landscape: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `landscape derive P | head`: the reader left, stay quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it
    except Exception as exc:  # a bug: one line for the user, the traceback kept in a file
        print(f"landscape: internal error: {type(exc).__name__}: {str(exc)[:200]} "
              f"(details saved to {_save_report(argv)}; please report it)", file=sys.stderr)
        return EXIT_INTERNAL


EXIT_INTERNAL = 3


def _save_report(argv) -> str:
    """The traceback and the command line, in a file of the temporary folder; its path."""
    import tempfile
    import traceback

    try:
        fd, path = tempfile.mkstemp(prefix="landscape-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("landscape " + " ".join(argv) + "\n\n" + traceback.format_exc())
        return path
    except OSError:
        return "nowhere (the temporary folder is not writable)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
