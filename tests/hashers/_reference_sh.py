"""A literal numpy transcription of the published trainSH.m and compressSH.m (Weiss et al.).

Used as a test oracle. The principal directions ``pc`` are passed in (MATLAB's eigs
fixes no sign); everything else follows the published code line by line, with
1-based MATLAB ranges rewritten 0-based.
"""

import numpy as np


def train_sh(X, nbits, pc):
    eps = np.finfo(float).eps
    npca = min(nbits, X.shape[1])
    X = X @ pc[:, :npca]
    mn = X.min(axis=0) - eps
    mx = X.max(axis=0) + eps
    R = mx - mn
    maxMode = np.ceil((nbits + 1) * R / R.max()).astype(int)
    nModes = maxMode.sum() - len(maxMode) + 1
    modes = np.ones((nModes, npca))
    m = 1
    for i in range(npca):
        modes[m : m + maxMode[i] - 1, i] = np.arange(2, maxMode[i] + 1)
        m = m + maxMode[i] - 1
    modes = modes - 1
    omega0 = np.pi / R
    omegas = modes * np.tile(omega0, (nModes, 1))
    eigVal = -np.sum(omegas**2, axis=1)
    ii = np.argsort(-eigVal, kind="stable")
    modes = modes[ii[1 : nbits + 1], :]
    return {"pc": pc[:, :npca], "mn": mn, "mx": mx, "modes": modes, "nbits": nbits}


def compress_sh(X, SHparam):
    Nsamples = X.shape[0]
    nbits = SHparam["nbits"]
    X = X @ SHparam["pc"]
    X = X - np.tile(SHparam["mn"], (Nsamples, 1))
    omega0 = np.pi / (SHparam["mx"] - SHparam["mn"])
    omegas = SHparam["modes"] * np.tile(omega0, (nbits, 1))
    U = np.zeros((Nsamples, nbits))
    for i in range(nbits):
        omegai = np.tile(omegas[i, :], (Nsamples, 1))
        ys = np.sin(X * omegai + np.pi / 2)
        U[:, i] = np.prod(ys, axis=1)
    return U > 0, U
