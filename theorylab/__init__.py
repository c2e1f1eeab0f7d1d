"""theorylab: typed verification of curvature and SGD-noise theorems.

Claims from five papers are encoded as data (:mod:`theorylab.spec`), checked symbolically
(:mod:`theorylab.proofs`), against exact NumPy/SciPy solvers (:mod:`theorylab.solvers`), by
hypothesis property search (:mod:`theorylab.strategies`) and, for full-size networks, with a
matrix-free torch backend (:mod:`theorylab.gpu`). Importing this package never imports torch.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "diagnose"]


def __getattr__(name: str) -> object:
    """``theorylab.diagnose``: the callable diagnosis package, imported on first use (no torch)."""
    if name == "diagnose":
        import importlib

        return importlib.import_module("theorylab.diagnose")
    raise AttributeError(f"module 'theorylab' has no attribute {name!r}")
