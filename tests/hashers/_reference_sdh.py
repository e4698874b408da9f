"""A literal numpy transcription of the published SDH training (SDH.m, demo_SDH.m).

Used as a test oracle. It follows the published code step by step -- scipy cdist
for sqdist, sigma = mean(sqdist) / 2, RRC (ridge regression) solved afresh each
time, every B-step restarted from zero codes with up to 10 sweeps, each bit column
updated by deleting it from B and W, the published stopping tests -- with one
change: sign(0) = +1 (MATLAB's sign gives 0). It draws random numbers in the same
order as zeroshash's SDHHasher so the two can be compared run for run.
"""

import numpy as np
from _reference_anchor_map import published_anchor_map


def rrc(tr_dat, tr_labels, lam):
    return np.linalg.solve(tr_dat.T @ tr_dat + lam * np.eye(tr_dat.shape[1]),
                           tr_dat.T @ tr_labels)


def reference_sdh(X, y, *, bits, n_anchors, lam, nu, delta, max_iter, tol, seed):
    rng = np.random.RandomState(seed)
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    anchor, sigma, PhiX = published_anchor_map(X, n_anchors, rng)
    Y = np.eye(y.max() + 1)[y]
    B = np.where(rng.standard_normal((n, bits)) >= 0, 1.0, -1.0)
    Wg = rrc(B, Y, lam)
    WF = rrc(PhiX, B, delta)
    for _ in range(max_iter):
        XF = PhiX @ WF
        Q = nu * XF + Y @ Wg.T
        B = np.zeros(B.shape)
        for _ in range(10):
            Z0 = B.copy()
            for k in range(bits):
                Zk = np.delete(B, k, axis=1)
                Wkk = Wg[k]
                Wk = np.delete(Wg, k, axis=0)
                B[:, k] = np.where(Q[:, k] - Zk @ Wk @ Wkk >= 0, 1.0, -1.0)
            if np.linalg.norm(B - Z0) < 1e-6 * np.linalg.norm(Z0):
                break
        Wg = rrc(B, Y, lam)
        WF0 = WF
        WF = rrc(PhiX, B, delta)
        if np.linalg.norm(B - PhiX @ WF) < tol * np.linalg.norm(B):
            break
        if np.linalg.norm(WF - WF0) < tol * np.linalg.norm(WF0, 2):
            break
    return {"anchors": anchor, "P": WF, "W": Wg, "B": B, "sigma2": 2 * sigma}
