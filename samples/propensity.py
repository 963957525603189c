"""Per-unit propensities of the dossier flags the 766 indicators read: how likely a dossier of a given unit is to be
digitised, reuse data, take a component from the national store, get an electronic result, have a VNeID-verified
account, be paid online, link to a national database, or be exempt from its fees.

Real provinces are uneven: a ward with a well-equipped one-stop desk digitises most of its dossiers, a highland
commune with a poor connection few of them, and an agency's payment rate depends on its own systems. Each unit gets
a "digital maturity" drawn from a beta distribution (its province's maturity mixed with the unit's own: wards and
agencies higher, highland communes lower), and each flag's propensity follows from it with some noise of its own;
online payment is drawn per unit independently. The draws of a province depend only on the seed and the province
code, so a province's units keep the same propensities whatever other provinces the world holds.

A dossier carries a flag when its own uniform draw (the hasher of `portal.portal_frame`, one salt per flag) is below
its unit's propensity: `portal.portal_frame` writes that, `indicators.dossier_flags` counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samples.reference import Units

# (lowest, highest) propensity, reached at maturity 0 and 1; the noise of each unit around that line.
LINES = {
    "digitised": (0.08, 0.97, 0.07),  # HoSoCoThanhPhanSoHoa = 1
    "reused": (0.01, 0.35, 0.04),  # DuocTaiSuDung on the documents
    "from_store": (0.0, 0.24, 0.03),  # DuocLayTuKhoDMQG on the documents
    "e_link": (0.2, 1.0, 0.08),  # a returned dossier's result has an electronic copy (code and file link)
    "vneid": (0.5, 0.99, 0.05),  # an online dossier's account is verified with VNeID
    "link_db": (0.05, 0.6, 0.07),  # DSKetNoiCSDL holds the applicant's national database
}
PAID = (3.0, 1.3)  # beta of the share of online fee-bearing dossiers paid online, per unit (mean ~0.7)
EXEMPT = 0.04  # share of a fee-bearing procedure's dossiers exempt from its fees (every fee written as Gia = 0)
# Beta of a unit's own maturity by kind, and of a province's.
UNIT_BETA = {"agency": (6.0, 2.5), "ward": (6.0, 2.0), "xa": (3.5, 2.5), "highland": (1.6, 3.6)}
PROVINCE_BETA = (6.0, 3.0)
PROVINCE_WEIGHT = 0.35  # a unit's maturity: this much its province's, the rest its own


@dataclass
class Propensities:
    """One probability per unit (the order of Units) for each flag."""

    maturity: np.ndarray
    digitised: np.ndarray
    reused: np.ndarray
    from_store: np.ndarray
    e_link: np.ndarray
    vneid: np.ndarray
    link_db: np.ndarray
    paid: np.ndarray


def build(units: Units, seed: int) -> Propensities:
    n = len(units)
    out = {k: np.zeros(n) for k in ("maturity", *LINES, "paid")}
    kind = np.asarray(units.kind)
    for pi in np.unique(units.province_idx):
        idx = np.flatnonzero(units.province_idx == pi)
        rng = np.random.default_rng([seed, 766, int(units.province_code[idx[0]])])
        group = np.where(units.agency_nn[idx] > 0, "agency", np.where(kind[idx] == "phường", "ward",
                                                                       np.where(units.highland[idx], "highland", "xa")))
        a = np.array([UNIT_BETA[g][0] for g in group])
        b = np.array([UNIT_BETA[g][1] for g in group])
        own = rng.beta(a, b)
        prov = rng.beta(*PROVINCE_BETA)
        z = PROVINCE_WEIGHT * prov + (1 - PROVINCE_WEIGHT) * own
        out["maturity"][idx] = z
        for name, (lo, hi, noise) in LINES.items():
            out[name][idx] = np.clip(lo + (hi - lo) * z + rng.normal(0, noise, len(idx)), 0.0, 1.0)
        out["paid"][idx] = rng.beta(*PAID, len(idx))
    return Propensities(**out)
