"""landscape-proofs: exact, certified facts about optimization landscapes of deep linear networks.

The curated public surface is :mod:`landscape_proofs.api`.  This file stays empty of imports
so that the trusted checker (:mod:`landscape_proofs.kernel.checker`) can be imported
without loading any producer.
"""

__version__ = "0.1.0"
