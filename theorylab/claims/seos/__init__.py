"""Paper 002 (stochastic edge of stability, ``seos.*``): one module per claim.

Importing this package registers every ``seos.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

__all__: list[str] = []
