"""What every ``landscape`` command shares: exit codes, JSON and error lines, progress bars,
huge numbers abbreviated for people (``--full`` prints them whole), help epilogs."""
from __future__ import annotations

import json
import sys

from landscape_proofs import api
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.produce.display import MAX_NUMBER_CHARS, abbreviate, number_text

__all__ = ["EXIT_FAIL", "EXIT_INPUT", "EXIT_OK", "MAX_NUMBER_CHARS", "abbreviate",
           "add_full_option", "certificate_written_line", "emit_json", "error_line", "examples",
           "number_text", "progress", "say", "write_certificate_option"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def error_line(exc: Exception) -> str:
    """``landscape: error: MESSAGE`` on one line, whatever the file put in field names."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in str(exc))
    return f"landscape: error: {text}"


def emit_json(obj) -> None:
    """``obj`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(obj, indent=1) + "\n")


def write_certificate_option(args, result) -> None:
    """``--certificate OUT``: write the result's certificate, or say why there is none."""
    if not args.certificate:
        return
    if result.certificate is None:
        print(f"note: no certificate written ({result.kind.value})", file=sys.stderr)
        return
    try:
        api.write_certificate(result.certificate, args.certificate)
    except OSError as exc:
        raise InputError(f"cannot write the certificate ({exc.strerror})",
                         source=args.certificate) from None


def certificate_written_line(args, result) -> None:
    """``certificate written to OUT`` after the text output, when one was written."""
    if args.certificate and result.certificate is not None:
        print(f"certificate written to {args.certificate}")


def progress(enabled: bool):
    """A progress bar on a terminal (``search``, ``hunt``, ``campaign``); off when asked."""
    from landscape_proofs.search.progress import TtyProgress

    bar = TtyProgress()
    if not enabled:
        bar.enabled = False
    return bar


# --- numbers for people: landscape_proofs.produce.display (also used by the API's HTML) -----
def say(text: str, args=None) -> None:
    """Print human output, abbreviating huge numbers unless ``args.full``."""
    print(abbreviate(str(text), bool(getattr(args, "full", False))))


def add_full_option(parser) -> None:
    """``--full``: print exact numbers whole in the human output."""
    parser.add_argument("--full", action="store_true", help="print huge exact numbers whole "
                        f"(human output abbreviates numbers longer than {MAX_NUMBER_CHARS} "
                        "characters; JSON is always complete)")


def examples(*lines: str) -> dict:
    """``add_parser`` keywords for an "examples:" epilog with these invocations."""
    import argparse

    return {"epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def precheck_figure(path, option: str) -> None:
    """``--plot FILE`` / ``plot --out FILE``: matplotlib present and FILE a writable .png or
    .svg, checked before any work (one line, exit 2)."""
    if path is None:
        return
    from landscape_proofs import viz

    viz.require_matplotlib()
    viz.check_output_path(path, option)


def prepare_out_dir(path) -> None:
    """Create the ``--out`` folder and check it is writable *before* any work starts (one
    line, exit 2, instead of finding out after a long run)."""
    import os
    from pathlib import Path

    from landscape_proofs.kernel.errors import InputError

    if path is None:
        return
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror or type(exc).__name__})",
                         field="--out", got=str(path)) from None
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        raise InputError("expected a writable folder", field="--out", got=str(path))
