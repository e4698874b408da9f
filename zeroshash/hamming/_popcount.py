"""Population count of a 64-bit word through LLVM's ``llvm.ctpop.i64`` (numba only).

Kept alone so that kernels elsewhere (the ranking metrics) can use it without
compiling the whole Hamming engine.
"""

from __future__ import annotations

from numba import types
from numba.extending import intrinsic


@intrinsic
def popcount64(typingctx, x):
    """Number of set bits of a uint64, as int64, via LLVM's ``llvm.ctpop.i64``."""
    if x != types.uint64:
        return None
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        # int64 and uint64 are the same LLVM type, so ctpop's result is returned as is;
        # typing it int64 keeps numba from promoting mixed sums to float64.
        return builder.ctpop(args[0])

    return sig, codegen
