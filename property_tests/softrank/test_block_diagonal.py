"""Property suite for ``softrank.block_diagonal``: pinching never lowers the soft rank."""

from theorylab.claims.softrank.block_diagonal import block_diagonal_search
from theorylab.falsify import hypothesis_test

test_block_diagonal_truncation = hypothesis_test(block_diagonal_search)
