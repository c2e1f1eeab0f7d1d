"""Paper 003 (curvature-aligned probing, ``subspace.*``): one module per claim.

Importing this package registers every ``subspace.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

__all__: list[str] = []
