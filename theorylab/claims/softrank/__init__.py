"""Paper 004 (soft rank, ``softrank.*``): one module per claim.

Importing this package registers every ``softrank.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

__all__: list[str] = []
