"""Paper 000 (TPV): one module per claim, in the paper's order."""

from __future__ import annotations

from theorylab.claims.tpv.label_noise import LABEL_NOISE_SPECTRAL_SUM

__all__ = ["LABEL_NOISE_SPECTRAL_SUM"]
