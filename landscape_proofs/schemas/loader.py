"""Reading the shipped schema files (``landscape_proofs/schemas/*.json``).

The schemas refer to each other (``certificate.json``, ``common.json#/$defs/exact``) through
their ``$id`` under :data:`BASE_URI`, an identifier only (``.invalid`` never resolves): nothing
is fetched from the network; :func:`registry` serves every reference from the package.
"""
from __future__ import annotations

import functools
import json
from importlib import resources

from landscape_proofs.errors import InputError

BASE_URI = "https://landscape-proofs.invalid/schemas/"


@functools.lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """The schema names (file names without ``.json``), sorted: ``"classify"``, ``"census"``..."""
    folder = resources.files(__package__)
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


@functools.lru_cache(maxsize=None)
def _text(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")


def load(name: str) -> dict:
    """The JSON Schema ``name`` as a new dict.

    >>> load("classify")["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    if name.endswith(".json"):
        name = name[:-5]
    if name not in names():
        raise InputError(f"unknown schema {name!r}; known: {', '.join(names())}", field="name")
    return json.loads(_text(name))


def registry():
    """A ``referencing.Registry`` holding every shipped schema under its ``$id``."""
    from referencing import Registry, Resource

    return Registry().with_resources(
        (BASE_URI + f"{n}.json", Resource.from_contents(load(n))) for n in names())


def validator(name: str):
    """A ``jsonschema`` validator for the schema ``name`` (its format checks switched on)."""
    import jsonschema

    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry(), format_checker=cls.FORMAT_CHECKER)


def validate(instance, name: str) -> None:
    """Raise ``jsonschema.ValidationError`` when ``instance`` does not match schema ``name``."""
    import jsonschema

    error = jsonschema.exceptions.best_match(validator(name).iter_errors(instance))
    if error is not None:
        raise error
