"""Property suite for ``softrank.information_equality``: C = F = H on calibrated models."""

from theorylab.claims.softrank.information_equality import information_equality_search
from theorylab.falsify import hypothesis_test

test_information_equality = hypothesis_test(information_equality_search)
