"""Test configuration: under CI (``CI`` set, as ``.ci/run`` runs), Hypothesis draws the same
examples on every run, so a landing never depends on a lucky or unlucky draw; locally the
draws stay random, which is how new counterexamples are found.  No example database is
written into the checkout either way."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("dev", database=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
