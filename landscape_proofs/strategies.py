"""Public Hypothesis strategies (problems, points, directions); see ``search/strategies.py``."""
from landscape_proofs.search.strategies import *  # noqa: F401,F403
