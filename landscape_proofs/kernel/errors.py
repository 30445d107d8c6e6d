"""Errors raised by landscape-proofs.

All errors derive from :class:`LandscapeError`.  Errors caused by what a user handed
in (a file, a field, an option) are :class:`InputError`, which is also a
``ValueError``; the command line turns them into exit status 2 and one line on stderr.
"""
from __future__ import annotations


class LandscapeError(Exception):
    """Root of every error this package raises on purpose."""


class InputError(LandscapeError, ValueError):
    """Unusable input: names the source, the field, what was expected and what came.

    >>> str(InputError("expected an integer >= 1", field="widths[0]", got=0, source="p.json"))
    'p.json: field widths[0]: expected an integer >= 1, got 0'
    """

    def __init__(self, expected: str, *, field: str | None = None, got: object = None,
                 source: str | None = None, show_got: bool = True):
        self.expected, self.field, self.got, self.source, self.show_got = expected, field, got, source, show_got
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.source:
            parts.append(f"{self.source}: ")
        if self.field:
            parts.append(f"field {self.field}: ")
        parts.append(self.expected)
        if self.show_got and self.got is not None:
            got = repr(self.got)
            if len(got) > 80:
                got = got[:77] + "..."
            parts.append(f", got {got}")
        return "".join(parts)

    def with_source(self, source: str) -> "InputError":
        """The same error, attributed to ``source`` (a file name)."""
        return InputError(self.expected, field=self.field, got=self.got, source=source,
                          show_got=self.show_got)

    def within(self, prefix: str) -> "InputError":
        """The same error with ``prefix`` prepended to the field path."""
        field = prefix if not self.field else (
            f"{prefix}{self.field}" if self.field.startswith("[") else f"{prefix}.{self.field}")
        return InputError(self.expected, field=field, got=self.got, source=self.source,
                          show_got=self.show_got)


class UnsupportedError(LandscapeError):
    """A request the exact engine cannot honour (e.g. a non-polynomial custom loss)."""


class NotDifferentiableError(LandscapeError):
    """A derivative was asked for at a point where the loss has a kink."""
