"""Paper 001 (SGD noise vs curvature, ``awd.*``): one module per claim.

Importing this package registers every ``awd.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

__all__: list[str] = []
