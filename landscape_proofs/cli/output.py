"""What every ``landscape`` command shares: exit codes, JSON and error lines, progress bars."""
from __future__ import annotations

import json
import sys

from landscape_proofs import api
from landscape_proofs.kernel.errors import InputError

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
