"""Figures of certificates, searches and censuses (``landscape plot``, ``--plot``, ``.plot()``).

Figures are illustrations computed in float64 from the producers' objective; nothing here is a
proof and nothing here is read by the kernel.  matplotlib is imported only when a figure is
drawn (the ``plot`` extra).  See docs/plots.md.
"""
from __future__ import annotations

from landscape_proofs.viz.evidence import (Line, Picture, picture_of_certificate,  # noqa: F401
                                           picture_of_point, plane, random_direction)
from landscape_proofs.viz.figures import (certificate_figure, check_output_path,  # noqa: F401
                                          require_matplotlib, save_figure, summary_figure,
                                          summary_points)

__all__ = ["Line", "Picture", "certificate_figure", "check_output_path", "picture_of_certificate",
           "picture_of_point", "plane", "random_direction", "require_matplotlib", "save_figure",
           "summary_figure", "summary_points"]
