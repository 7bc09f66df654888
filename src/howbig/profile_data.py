"""What each profile runs on: the one declaration of every chapter's data sources.

Read it through :func:`howbig.profiles.data_sources` (``data_sources("transferability",
"quick", role="formation energy")``), never directly: :mod:`howbig.profiles` imports this module
only when a source is asked for, because the loaders import pandas and ase (about a second).

A :class:`DataSource` holds the loader itself (a function, not its name), the
registry datasets it reads, whether it stands in for the paper's own data, and what the page
calls it. ``stand_in`` is True unless the source is the data the paper itself used. The smoke
profile reuses the full profile's sources except where it serves fixture files on 127.0.0.1
(:mod:`howbig.book.smoke`); those are declared with ``fixture=True`` and labelled as what they
are. Fixtures read no registry dataset: the smoke build serves them under the registered names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from howbig.data.registry import dataset
from howbig.data.sources.aflow import load_aflow
from howbig.data.sources.agpd import load_agpd_reference
from howbig.data.sources.band_gaps import (
    load_aflow_gaps,
    load_fhiaims_elements,
    load_magpie_elements,
)
from howbig.data.sources.composition_tables import load_composition_table
from howbig.data.sources.gesn2n4 import load_gesn2n4
from howbig.data.sources.mp20 import load_mp20_sample
from howbig.data.sources.mp2018 import load_mp2018
from howbig.data.sources.nomad import load_fingerprint_cases, load_nomad_dos
from howbig.dft import basis_errors, hbn

__all__ = ["SOURCES", "DataSource"]


@dataclass(frozen=True)
class DataSource:
    """One source of data a chapter runs on in one profile.

    Read with :func:`howbig.profiles.data_sources`.

    Examples
    --------
    >>> from howbig.profiles import data_sources
    >>> mp = data_sources("transferability", "quick", role="formation energy")[0]
    >>> (mp.label, mp.short, mp.datasets)
    ('MP formation energies', 'MP', ('mp_ef_critexam',))
    >>> table = mp.load()            # doctest: +SKIP

    Parameters
    ----------
    label
        What the page calls it: unique among a chapter's sources in a profile, so that the
        "data this chapter ran on" box and the reproducibility captions name every source.
    datasets
        Registry datasets it reads (:mod:`howbig.data.registry`; what ``howbig data fetch --all``
        fetches). Empty for data the project computed and ships, for web APIs (AFLUX, NOMAD) and
        for the smoke build's fixtures.
    loader
        The function that returns the data; :meth:`load` calls it.
    stand_in
        True unless this is the data the paper itself used (an analogue, a substitute, a fixture).
    what
        One line: what the data are and where they come from.
    role
        What the chapter uses it for; ``data_sources(chapter, profile, role=...)`` selects by it
        (e.g. ``"formation energy"``, ``"structures"``, ``"NAS"``).
    short
        Its name in the chapter's tables and figures (default: ``label``), unique within a role.
    fixture
        True for the smoke profile's fixture files: tiny, in the real format, numbers meaningless.
    """

    label: str
    datasets: tuple[str, ...]
    loader: Callable[..., Any]
    stand_in: bool
    what: str
    role: str
    short: str = ""
    fixture: bool = False

    def __post_init__(self) -> None:
        if not self.short:
            object.__setattr__(self, "short", self.label)

    def load(self, **kwargs: Any) -> Any:
        """The data: ``loader(**kwargs)``."""
        return self.loader(**kwargs)

    def credits(self) -> str:
        """``label (dataset, licence: citation; ...)``, or ``label (what)`` without datasets."""
        if not self.datasets:
            return f"{self.label} ({self.what})"
        entries = "; ".join(f"{d.name}, {d.licence}: {d.citation}"
                            for d in map(dataset, self.datasets))
        return f"{self.label} ({entries})"


_FIXTURE = "served on 127.0.0.1 by the smoke build; its numbers mean nothing"


def _table(label: str, short: str, name: str, registered: str, role: str,
           what: str) -> DataSource:
    """A composition table of :mod:`howbig.data.sources.composition_tables`."""
    return DataSource(label, (registered,), partial(load_composition_table, name), stand_in=True,
                      what=what, role=role, short=short)


# -- Chapter 2: composition tables (every profile) and crystal structures (per profile) -------
EF_MP = _table("MP formation energies", "MP", "mp_ef", "mp_ef_critexam", "formation energy",
               "Materials Project formation energy per atom, lowest-energy entry per "
               "composition (Bartel et al.; CrabNet's copy)")
EF_JARVIS = _table("JARVIS formation energies", "JARVIS", "jarvis_ef", "jarvis_ef",
                   "formation energy",
                   "JARVIS-DFT (OptB88vdW) formation energy per atom (CrossPropertyTL files)")
EF_OQMD = _table("OQMD formation enthalpies", "OQMD", "oqmd_ef", "oqmd_dhf", "formation energy",
                 "OQMD formation enthalpy per atom, the val and test parts of CrabNet's "
                 "benchmark (its train part is not in the repository snapshot)")
EF_CONTROL = _table("MP formation energies (Matbench)", "MP (Matbench)", "mp_ef_matbench",
                    "matbench_mp_e_form", "control",
                    "Materials Project formation energy per atom as in Matbench mp_e_form "
                    "(all polymorphs): a second snapshot of MP, the consistency check")
GAP_MP = _table("MP band gaps", "MP", "mp_gap", "matbench_mp_gap", "band gap",
                "Materials Project PBE band gaps as in Matbench mp_gap")
GAP_AFLOW = _table("AFLOW band gaps", "AFLOW", "aflow_gap", "aflow_egap", "band gap",
                   "AFLOW PBE band gaps of the CrabNet benchmark (Clement et al.)")
COMPOSITIONS = (EF_MP, EF_JARVIS, EF_OQMD, EF_CONTROL, GAP_MP, GAP_AFLOW)

MP20 = DataSource("MP-20 sample", ("mp20_sample",), load_mp20_sample, stand_in=True,
                  what="847 Materials Project structures (MP-20 subset of CDVAE, VASP-PBE)",
                  role="structures", short="MP")
MP2018 = DataSource("MP-crystals-2018.6.1", ("mp2018",), load_mp2018, stand_in=False,
                    what="69,239 Materials Project entries, the paper's MP data (figshare)",
                    role="structures", short="MP")
AFLOW = DataSource("AFLOW (AFLUX)", (), load_aflow, stand_in=False,
                   what="AFLOW PAW-PBE entries with relaxed structures, formation enthalpies "
                        "and band gaps, queried through the AFLUX API: the paper's AFLOW data",
                   role="structures", short="AFLOW")
MP2018_FIXTURE = DataSource(
    "MP-2018-format fixture built from MP-20 structures", (), load_mp2018, stand_in=True,
    what=f"a few dozen real MP-20 structures written as MP-crystals-2018.6.1 records; {_FIXTURE}",
    role="structures", short="MP-2018 fixture", fixture=True)
AFLUX_FIXTURE = DataSource(
    "AFLUX-format fixture built from MP-20 structures", (), load_aflow, stand_in=True,
    what=f"a few dozen real MP-20 structures with MP's energies written as AFLUX entries, not "
         f"AFLOW data; {_FIXTURE}",
    role="structures", short="AFLUX fixture", fixture=True)

# -- Chapter 3 -------------------------------------------------------------------------------
HBN = DataSource("h-BN DOS computed with PySCF", (), hbn.load_results, stand_in=True,
                 what="periodic DFT calculations of bulk h-BN computed by this project with "
                      "PySCF (package data; generator `howbig dft hbn`)", role="DOS")
FINGERPRINT_CASES = DataSource(
    "NOMAD DOS fingerprint test cases", ("nomad_dos_fingerprint_cases",), load_fingerprint_cases,
    stand_in=True, what="15 NOMAD DOS spectra with the fingerprints and similarity matrix of "
                        "the reference implementation (its test fixture)",
    role="fingerprint check")
NOMAD = DataSource("NOMAD FHI-aims h-BN entries", (), load_nomad_dos, stand_in=False,
                   what="the paper's FHI-aims h-BN calculations, read through the NOMAD API "
                        "(10.17172/NOMAD/2020.07.27-1)", role="paper DOS")
NOMAD_FIXTURE = DataSource(
    "NOMAD-format fixture with a planted DOS", (), load_nomad_dos, stand_in=True,
    what=f"a few entries in the NOMAD archive-query format with a planted DOS; {_FIXTURE}",
    role="paper DOS", fixture=True)

# -- Chapter 4 -------------------------------------------------------------------------------
GESN2N4 = DataSource("GeSn2N4 spinel configurations", ("gesn2n4",), load_gesn2n4, stand_in=True,
                     what="GeSn2N4 cation configurations with GGA and HSE band gaps "
                          "(Sanchez-Palencia et al.), in place of the paper's unpublished "
                          "BaSnO3-x set", role="configurations")
AGPD = DataSource("icet Ag-Pd reference", ("icet_agpd_reference",), load_agpd_reference,
                  stand_in=True, what="Ag-Pd fcc mixing energies of the icet tutorial",
                  role="reference")

# -- Chapter 5 -------------------------------------------------------------------------------
BASIS_ERRORS = DataSource(
    "basis-set errors computed with PySCF", (), basis_errors.load, stand_in=True,
    what="basis-set errors of small molecules computed by this project with PySCF (package "
         "data; generator `howbig dft basis-errors`)", role="basis-set errors")
AFLOW_GAPS = DataSource(
    "AFLOW band-gap benchmark", ("aflow_egap",), partial(load_aflow_gaps, "aflow_egap"),
    stand_in=True, what="AFLOW PBE band gaps of the CrabNet benchmark (Clement et al.)",
    role="band gaps")
AFLOW_ICSD = DataSource(
    "AFLOW ICSD band gaps", ("aflow_icsd",), partial(load_aflow_gaps, "aflow_icsd"),
    stand_in=False, what="AFLOW ICSD PBE entries collected by the paper's authors",
    role="ICSD band gaps")
FHIAIMS = DataSource("FHI-aims free-atom features", ("fhiaims_free_atom",),
                     load_fhiaims_elements, stand_in=False,
                     what="the paper's elemental features of free atoms (FHI-aims)",
                     role="element features")
MAGPIE = DataSource("Magpie element properties", (), load_magpie_elements, stand_in=True,
                    what="Magpie elemental properties as matminer ships them (package data)",
                    role="element features")

# -- Chapter 6 -------------------------------------------------------------------------------
NAS_MP20 = replace(MP20, role="NAS", short="MP-20")

_SHARED = {  # the same in every profile
    "similarity": (HBN, FINGERPRINT_CASES),
    "cluster_expansion": (GESN2N4, AGPD),
    "complexity": (BASIS_ERRORS, AFLOW_GAPS, AFLOW_ICSD, FHIAIMS, MAGPIE),
    "infrastructure": (),  # Section 6.1: the paper's stated inputs only
}

#: profile -> chapter (the keys of :data:`howbig.profiles.PROFILES`) -> sources.
SOURCES: dict[str, dict[str, tuple[DataSource, ...]]] = {
    "quick": {
        **_SHARED,
        "transferability": (*COMPOSITIONS, MP20),
        "compute": (NAS_MP20,),
    },
    "full": {
        **_SHARED,
        "transferability": (*COMPOSITIONS, MP2018, AFLOW),
        "similarity": (*_SHARED["similarity"], NOMAD),
        "compute": (replace(AFLOW, role="NAS"),),
    },
    "smoke": {
        **_SHARED,
        "transferability": (*COMPOSITIONS, MP2018_FIXTURE, AFLUX_FIXTURE),
        "similarity": (*_SHARED["similarity"], NOMAD_FIXTURE),
        "compute": (replace(AFLUX_FIXTURE, role="NAS"),),
    },
}
