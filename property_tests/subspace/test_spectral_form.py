"""Property suite of ``subspace.spectral_form``: the claim's own search (Eq. 16 vs Eq. 15)."""

from theorylab.claims.subspace.spectral_form import spectral_search
from theorylab.falsify import hypothesis_test

test_spectral_form_search = hypothesis_test(spectral_search)
