"""What the five papers' theorems say about *your* network: :func:`theorylab.diagnose`.

``theorylab.diagnose`` is this package, and it is callable:
``theorylab.diagnose(model, data, loss=..., learning_rate=..., batch_size=...)`` runs
:func:`theorylab.diagnose.api.diagnose` and returns a typed :class:`Diagnosis`. Importing the
package does not import torch; the torch modules load on the first call.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .model import AssumptionStatus, AssumptionVerdict, Diagnosis, PaperDiagnosis, Quantity

__all__ = ["AssumptionStatus", "AssumptionVerdict", "Diagnosis", "PaperDiagnosis", "Quantity",
           "diagnose"]


def diagnose(*args: Any, **kwargs: Any) -> Diagnosis:
    """Run :func:`theorylab.diagnose.api.diagnose` (imports torch on first use)."""
    from .api import diagnose as run

    return run(*args, **kwargs)


diagnose.__doc__ = (diagnose.__doc__ or "") + "\n\nSee :func:`theorylab.diagnose.api.diagnose`."


class _CallableModule(types.ModuleType):
    """The package, callable as :func:`diagnose` (``theorylab.diagnose(model, data, ...)``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Diagnosis:
        return diagnose(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
