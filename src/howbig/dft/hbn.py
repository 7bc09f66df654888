"""Bulk h-BN density-of-states convergence grid with PySCF (data for Chapter 3).

Each calculation is a periodic Kohn-Sham ground state of bulk hexagonal boron nitride at the
experimental geometry with one exchange-correlation functional (LDA or PBE), one GTH basis set and
one Gamma-centred k-mesh. From its eigenvalues we store the density of states (DOS) on a common
energy grid aligned to the valence-band maximum (VBM), broadened with Gaussians, plus metadata.

The generator is resumable: every finished calculation is written to its own JSON file in a cache
directory; a rerun only computes what is missing, then assembles the compact result file that the
book reads (``howbig/resources/hbn_dos.json.gz``).

Run it with::

    OMP_NUM_THREADS=1 nice -n 10 howbig dft hbn --jobs 2

The book never runs this module; it reads the committed result with :func:`load_results`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

__all__ = [
    "BASES",
    "DEFAULT_RESULT",
    "KMESHES",
    "XCS",
    "CalcSpec",
    "build_cell",
    "dos_on_grid",
    "grid",
    "load_results",
    "main",
    "run_calculation",
]

HARTREE_EV = 27.211386245988

#: Experimental lattice of bulk h-BN (P6_3/mmc), Angstrom;
#: Paszkowicz et al., Appl. Phys. A 75, 431 (2002).
LATTICE_A = 2.504
LATTICE_C = 6.661

#: GTH basis sets from small to large (all available for B and N in PySCF).
BASES: tuple[str, ...] = ("gth-szv", "gth-dzv", "gth-dzvp", "gth-tzvp", "gth-tzv2p")
#: Gamma-centred Monkhorst-Pack meshes, coarse to fine.
KMESHES: tuple[tuple[int, int, int], ...] = ((1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 4, 1))
#: Functionals with their matching GTH pseudopotentials.
XCS: dict[str, str] = {"lda": "gth-pade", "pbe": "gth-pbe"}

#: Common energy grid (eV, relative to the VBM) and Gaussian broadening of the stored DOS.
E_MIN, E_MAX, E_STEP = -12.0, 12.0, 0.02
SIGMA_EV = 0.15
#: Plane-wave cutoff of the density grid (Hartree), the same for every calculation.
KE_CUTOFF = 40.0

DEFAULT_RESULT = "hbn_dos.json.gz"


@dataclass(frozen=True)
class CalcSpec:
    """Numerical settings of one calculation."""

    xc: str
    basis: str
    kmesh: tuple[int, int, int]

    @property
    def name(self) -> str:
        """File-system friendly identifier, e.g. ``lda_gth-szv_k2x2x1``."""
        return f"{self.xc}_{self.basis}_k{'x'.join(map(str, self.kmesh))}"


def grid() -> np.ndarray:
    """The common energy grid of the stored DOS (eV, relative to the VBM)."""
    n = round((E_MAX - E_MIN) / E_STEP) + 1
    return np.linspace(E_MIN, E_MAX, n)


def build_cell(basis: str, xc: str, ke_cutoff: float = KE_CUTOFF) -> Any:
    """Bulk h-BN (4 atoms, AA' stacking) as a :class:`pyscf.pbc.gto.Cell`.

    Parameters
    ----------
    basis
        PySCF name of a GTH basis set, e.g. ``"gth-dzvp"``.
    xc
        ``"lda"`` or ``"pbe"``; selects the matching GTH pseudopotential.
    ke_cutoff
        Kinetic-energy cutoff of the FFT grid, Hartree.
    """
    from pyscf.pbc import gto  # deferred: pyscf takes ~0.5 s; readers of results need none

    a, c = LATTICE_A, LATTICE_C
    lattice = np.array([[a, 0.0, 0.0], [-a / 2, a * np.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])
    frac = {
        "B": [(1 / 3, 2 / 3, 1 / 4), (2 / 3, 1 / 3, 3 / 4)],
        "N": [(1 / 3, 2 / 3, 3 / 4), (2 / 3, 1 / 3, 1 / 4)],
    }
    atoms = [(el, tuple(np.dot(f, lattice))) for el, fs in frac.items() for f in fs]
    cell = gto.Cell()
    cell.a = lattice
    cell.atom = atoms
    cell.unit = "Angstrom"
    cell.basis = basis
    cell.pseudo = XCS[xc]
    cell.ke_cutoff = ke_cutoff
    cell.verbose = 0
    cell.build()
    return cell


def dos_on_grid(
    eigenvalues: np.ndarray, weights: np.ndarray, energies: np.ndarray, sigma: float = SIGMA_EV
) -> np.ndarray:
    """Gaussian-broadened DOS (states/eV per cell, both spins) of eigenvalues on ``energies``.

    Parameters
    ----------
    eigenvalues
        Band energies, eV, shape ``(n_k, n_bands)`` (already shifted to the VBM).
    weights
        k-point weights summing to one, shape ``(n_k,)``.
    energies
        Energy grid, eV.
    sigma
        Gaussian standard deviation, eV.
    """
    eps = np.asarray(eigenvalues, float)
    w = np.broadcast_to(np.asarray(weights, float)[:, None], eps.shape).ravel()
    diff = (energies[:, None] - eps.ravel()[None, :]) / sigma
    gauss = np.exp(-0.5 * diff**2) / (sigma * np.sqrt(2 * np.pi))
    return 2.0 * gauss @ w


def _cached_numint() -> Any:
    """A PySCF ``KNumInt`` that evaluates the AO values on the grid once and reuses them.

    For a 4-atom cell, PySCF spends almost all SCF time re-evaluating the (lattice-summed) atomic
    orbitals on the FFT grid in every cycle, twice (Coulomb and XC). The values do not change
    between cycles, so caching them gives the same result several times faster at the price of
    memory (``n_k * n_grid * n_ao`` complex numbers per derivative order).
    """
    from pyscf.pbc.dft.numint import KNumInt  # deferred: pyscf takes ~0.5 s

    class CachedKNumInt(KNumInt):
        def __init__(self) -> None:
            super().__init__()
            self._ao_cache: dict[tuple, Any] = {}

        def eval_ao(self, cell, coords, kpts=None, deriv=0, relativity=0, shls_slice=None,
                    non0tab=None, cutoff=None, out=None, verbose=None):
            kp = np.zeros(3) if kpts is None else np.asarray(kpts)
            key = (deriv, hashlib.sha1(np.ascontiguousarray(coords).tobytes()).hexdigest(),
                   hashlib.sha1(np.ascontiguousarray(kp).tobytes()).hexdigest(), shls_slice)
            if key not in self._ao_cache:
                self._ao_cache[key] = super().eval_ao(cell, coords, kpts, deriv, relativity,
                                                      shls_slice, non0tab, cutoff, None, verbose)
            return self._ao_cache[key]

    return CachedKNumInt()


def run_calculation(spec: CalcSpec) -> dict[str, Any]:
    """Run one SCF and return its DOS on :func:`grid` with metadata (JSON-serialisable)."""
    from pyscf import lib  # deferred: pyscf takes ~0.5 s; readers of results need none
    from pyscf.pbc import dft

    lib.num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    start = time.perf_counter()
    cell = build_cell(spec.basis, spec.xc)
    kpts = cell.make_kpts(list(spec.kmesh), with_gamma_point=True)
    mf = dft.KRKS(cell, kpts)
    mf.xc = spec.xc
    ni = _cached_numint()
    mf._numint = ni
    mf.with_df._numint = ni
    mf.conv_tol = 1e-7
    mf.max_cycle = 60
    mf.verbose = 0
    e_tot = mf.kernel()
    eps = np.array(mf.mo_energy) * HARTREE_EV  # (n_k, n_mo)
    occ = np.array(mf.mo_occ)
    vbm = float(eps[occ > 0].max())
    cbm = float(eps[occ == 0].min()) if (occ == 0).any() else float("nan")
    weights = np.full(len(kpts), 1.0 / len(kpts))
    dos = dos_on_grid(eps - vbm, weights, grid())
    return {
        **{k: v for k, v in asdict(spec).items() if k != "kmesh"},
        "kmesh": list(spec.kmesh),
        "name": spec.name,
        "pseudo": XCS[spec.xc],
        "n_basis": int(cell.nao_nr()),
        "n_kpoints": len(kpts),
        "n_electrons": int(cell.nelectron),
        "ke_cutoff_hartree": KE_CUTOFF,
        "total_energy_ev": float(e_tot) * HARTREE_EV,
        "converged": bool(mf.converged),
        "vbm_ev": vbm,
        "gap_ev": cbm - vbm,
        "wall_time_s": time.perf_counter() - start,
        "dos": [round(float(x), 5) for x in dos],
    }


def _default_cache() -> Path:
    base = os.environ.get("HOWBIG_DATA_DIR") or Path.home() / ".cache" / "howbig"
    return Path(base) / "dft" / "hbn"


def _worker(spec: CalcSpec, cache: Path) -> tuple[str, float]:
    result = run_calculation(spec)
    tmp = cache / f"{spec.name}.json.tmp"
    tmp.write_text(json.dumps(result))
    tmp.rename(cache / f"{spec.name}.json")
    return spec.name, result["wall_time_s"]


def assemble(specs: Sequence[CalcSpec], cache: Path, out: Path, generation: dict) -> Path:
    """Collect the cached calculations into one compact gzip'd JSON file."""
    calcs = [json.loads((cache / f"{s.name}.json").read_text()) for s in specs
             if (cache / f"{s.name}.json").is_file()]
    payload = {
        "description": "DOS of bulk h-BN (PySCF periodic DFT) on a common grid aligned to the VBM",
        "structure": {"formula": "B2N2", "a_angstrom": LATTICE_A, "c_angstrom": LATTICE_C,
                      "spacegroup": "P6_3/mmc"},
        "energy_grid_ev": {"min": E_MIN, "max": E_MAX, "step": E_STEP},
        "broadening": {"kind": "gaussian", "sigma_ev": SIGMA_EV},
        "dos_units": "states/eV per cell (both spins)",
        "generation": generation,
        "calculations": calcs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", compresslevel=9) as fh:
        json.dump(payload, fh, separators=(",", ":"))
    return out


def load_results(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, Any]:
    """Read the committed h-BN result file.

    Returns
    -------
    energies
        The common energy grid, eV relative to the VBM.
    dos
        DOS per calculation, shape ``(n_calc, n_energies)``.
    meta
        :class:`pandas.DataFrame` with one row of metadata per calculation; ``attrs`` holds the
        file's header (broadening, generation time, ...).
    """
    import pandas as pd  # deferred: ~0.2 s; keeps `howbig dft hbn` startup light

    if path is None:
        packaged = resources.files("howbig").joinpath("resources", DEFAULT_RESULT)
        with resources.as_file(packaged) as p:
            payload = _read(p)
    else:
        payload = _read(Path(path))
    g = payload["energy_grid_ev"]
    energies = np.linspace(g["min"], g["max"], round((g["max"] - g["min"]) / g["step"]) + 1)
    calcs = payload.pop("calculations")
    dos = np.array([c.pop("dos") for c in calcs], float)
    meta = pd.DataFrame(calcs)
    meta["kmesh"] = meta["kmesh"].map(lambda k: "x".join(map(str, k)))
    meta.attrs.update(payload)
    return energies, dos, meta


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(
            f"h-BN result file {path} is missing; regenerate it with `howbig dft hbn --jobs 2`")
    with gzip.open(path, "rt") as fh:
        return json.load(fh)


def _parse_kmesh(text: str) -> tuple[int, int, int]:
    parts = tuple(int(p) for p in text.lower().split("x"))
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"k-mesh {text!r}: expected NxNxN, e.g. 3x3x1")
    return parts  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of ``howbig dft hbn``; returns an exit status."""
    parser = argparse.ArgumentParser(prog="howbig dft hbn", description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    parser.add_argument("--xc", nargs="+", default=list(XCS), choices=list(XCS))
    parser.add_argument("--basis", nargs="+", default=list(BASES))
    parser.add_argument("--kmesh", nargs="+", type=_parse_kmesh, default=list(KMESHES))
    parser.add_argument("--cache", type=Path, default=None, help="per-calculation cache dir")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "resources" / DEFAULT_RESULT)
    parser.add_argument("--dry-run", action="store_true", help="list what would be computed")
    args = parser.parse_args(list(argv) if argv is not None else None)

    cache = args.cache or _default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    specs = [CalcSpec(xc, b, tuple(k)) for xc, k, b in
             itertools.product(args.xc, args.kmesh, args.basis)]
    todo = [s for s in specs if not (cache / f"{s.name}.json").is_file()]
    print(f"{len(specs)} calculations, {len(specs) - len(todo)} cached, {len(todo)} to run "
          f"(cache: {cache})", flush=True)
    if args.dry_run:
        for s in todo:
            print(s.name)
        return 0
    # cheapest first, so that a partial run still covers the whole grid at low settings
    todo.sort(key=lambda s: (np.prod(s.kmesh), BASES.index(s.basis) if s.basis in BASES else 0))
    start = time.perf_counter()
    failed = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(_worker, s, cache): s for s in todo}
        for fut in tqdm(as_completed(futures), total=len(futures), desc="h-BN SCF", unit="calc"):
            spec = futures[fut]
            try:
                name, wall = fut.result()
                tqdm.write(f"done {name} in {wall:.1f} s")
            except Exception as exc:  # report and go on: one failure must not lose the rest
                failed.append(spec.name)
                tqdm.write(f"FAILED {spec.name}: {exc!r}")
    elapsed = time.perf_counter() - start
    walls = [json.loads((cache / f"{s.name}.json").read_text())["wall_time_s"]
             for s in specs if (cache / f"{s.name}.json").is_file()]
    generation = {
        "generator": "howbig.dft.hbn",
        "wall_time_last_run_s": round(elapsed, 1),
        "sum_calc_wall_time_s": round(float(np.sum(walls)), 1),
        "jobs": args.jobs,
        "n_requested": len(specs),
        "n_done": len(walls),
        "failed": failed,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pyscf": __import__("pyscf").__version__,
        "machine": f"{os.cpu_count()} CPU cores (shared), OMP_NUM_THREADS="
                   f"{os.environ.get('OMP_NUM_THREADS', 'unset')}",
    }
    out = assemble(specs, cache, args.out, generation)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.1f} kB); {len(walls)}/{len(specs)} done, "
          f"{elapsed:.0f} s this run", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
