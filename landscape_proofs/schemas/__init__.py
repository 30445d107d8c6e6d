"""JSON Schemas (draft 2020-12) of every JSON document ``landscape`` writes.

``load(name)`` returns one schema as a dict, ``names()`` lists them, ``validate(instance,
name)`` checks a document (needs the ``jsonschema`` package).  docs/schemas.md lists them.
"""
from landscape_proofs.schemas.loader import BASE_URI, load, names, registry, validate, validator

__all__ = ["BASE_URI", "load", "names", "registry", "validate", "validator"]
