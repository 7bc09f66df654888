"""The data registry: every dataset the book reads, where it lives, and its checksum.

This module is the single source of truth for canonical URLs and sha256 sums. Files are never
committed to the project; :mod:`howbig.data.fetch` downloads them (or copies them from a mirror)
into a cache and verifies them against the values here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REGISTRY", "Dataset", "RemoteFile", "dataset", "file_entry"]


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset.

    Parameters
    ----------
    name
        File name in the cache and in a mirror directory.
    url
        Canonical (commit-pinned) URL.
    sha256
        Expected checksum, or ``None`` when it is not known in advance; then the checksum is
        recorded on first download and enforced afterwards (trust on first use).
    size
        Expected size in bytes, or ``None`` when unknown.
    """

    name: str
    url: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class Dataset:
    """A named group of files with licence and citation.

    Which profiles read it is declared by the chapters' data sources
    (:func:`howbig.profiles.profile_datasets`), not here.
    """

    name: str
    description: str
    licence: str
    citation: str
    bibkey: str
    files: tuple[RemoteFile, ...]

    @property
    def size(self) -> int | None:
        """Total size in bytes, or ``None`` if a file size is unknown."""
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[misc]


# One line per file: RemoteFile(name, canonical URL, sha256, size in bytes).
_DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name='mp2018_mpeu',
        description="Authors' MPEU split and hyperparameters for MP-crystals-2018.6.1",
        licence='none stated',
        citation='Bechtel, Speckhard, Godwin, Draxl, arXiv:2309.06348 (2023); code github.com/tisabe/jraph_MPEU',
        bibkey='bechtel2023',
        files=(
            RemoteFile('mp2018_mpeu_splits.json', url='https://raw.githubusercontent.com/tisabe/jraph_MPEU/2f55352b706aa96dca7c51861ce47bfcda3b0346/results/mp/default/splits.json', sha256='4763e6695a31d337d60d5c3b7c5a62dbe70ce0096678de3b60b50b66ea880016', size=1539850),
            RemoteFile('mp2018_mpeu_config.json', url='https://raw.githubusercontent.com/tisabe/jraph_MPEU/2f55352b706aa96dca7c51861ce47bfcda3b0346/results/mp/default/config.json', sha256='be4b6fd8d10d81e75cf8b8027569d0fea4b71e161baf3b38f10f9042fe6511d8', size=1024),
        ),
    ),
    Dataset(
        name='aflow_icsd',
        description="AFLOW ICSD PBE entries (compound, spacegroup, band gap) used by the paper's authors",
        licence='none stated',
        citation='Bechtel et al., arXiv:2309.06348 (2023); AFLOW: Curtarolo et al., Comput. Mater. Sci. 58, 218 (2012)',
        bibkey='bechtel2023',
        files=(
            RemoteFile('aflow_icsd_nonmetal_gaps.csv', url='https://raw.githubusercontent.com/tisabe/jraph_MPEU/dd2ae0be42a955ae2e63c253ab91d5f51bc66e49/other_models/band_gap_data/classification_data.csv', sha256='7c9b2aef8b713d79801b7d1c9faf7b11dca1b611973ac16ebbd09cf401b3062d', size=808309),
            RemoteFile('aflow_icsd_gap_window.csv', url='https://raw.githubusercontent.com/tisabe/jraph_MPEU/dd2ae0be42a955ae2e63c253ab91d5f51bc66e49/other_models/elem_rf/test_aflow_data.csv', sha256='5d42108be4627f5addf1dc125c232849fe4e4d7b150655eac3e2ab50a49da608', size=1514629),
        ),
    ),
    Dataset(
        name='fhiaims_free_atom',
        description="FHI-aims free-atom elemental features (the paper's RF/NN composition features)",
        licence='none stated',
        citation='Bechtel et al., arXiv:2309.06348 (2023)',
        bibkey='bechtel2023',
        files=(
            RemoteFile('fhiaims_free_atom_features.csv', url='https://raw.githubusercontent.com/tisabe/jraph_MPEU/dd2ae0be42a955ae2e63c253ab91d5f51bc66e49/other_models/elem_rf/really_tight_full_cut20_revpbe.csv', sha256='0f55095cdde373fef77ad7aee3547df50e336384a7a8bed2b7226d4dcacd8bc4', size=11511),
            RemoteFile('fhiaims_free_atom_features_enlarged.csv', url='https://raw.githubusercontent.com/tisabe/jraph_MPEU/dd2ae0be42a955ae2e63c253ab91d5f51bc66e49/other_models/elem_rf/enlarged_elemental_data.csv', sha256='5c0a53511479e7fc6fa262f82ee32731bf3c935172741734f000c946b3feab7b', size=19888),
        ),
    ),
    Dataset(
        name='aflow_egap',
        description='AFLOW band-gap benchmark (formula, gap in eV), train/val/test',
        licence='MIT',
        citation='Clement, Kauwe, Sparks, Integr. Mater. Manuf. Innov. 9, 153 (2020); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='clement2020',
        files=(
            RemoteFile('aflow_egap_train.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/aflow__Egap/train.csv', sha256='54cfdde0f9dc313acf2ffb22f49c9861d8d0e1fc5ee3938b8810785db65c1c17', size=290322),
            RemoteFile('aflow_egap_val.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/aflow__Egap/val.csv', sha256='798bd5b2d16cca829be8873a483872910de4c948a1bc55ae89c70efb9be0c545', size=62230),
            RemoteFile('aflow_egap_test.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/aflow__Egap/test.csv', sha256='d2096c4b87dcc1f13407532f048552544cd389d49486770b9b065dffd5cc92ef', size=62429),
        ),
    ),
    Dataset(
        name='cmr_perovskites',
        description='CMR cubic perovskites (GPAW), CIF + formation energy + gaps (Perov-5 val+test)',
        licence='MIT',
        citation='Castelli et al., Energy Environ. Sci. 5, 5814 (2012); Perov-5 split of Xie et al., CDVAE, ICLR (2022)',
        bibkey='castelli2012',
        files=(
            RemoteFile('cmr_perovskites_val.csv', url='https://raw.githubusercontent.com/OPRYAN90/cdvae/2b2c4f486dcaf138d19d04da3b9c4b4e00d12e99/data/perov_5/val.csv', sha256='326f401219901270374b71e2faff63df3a29a99fd26f469993b9f476b693daf2', size=3673814),
            RemoteFile('cmr_perovskites_test.csv', url='https://raw.githubusercontent.com/OPRYAN90/cdvae/2b2c4f486dcaf138d19d04da3b9c4b4e00d12e99/data/perov_5/test.csv', sha256='a85878c685037f0a578257f6d4fcdde00e968dbab73c5f1e90ecef65218513f6', size=3671842),
        ),
    ),
    Dataset(
        name='mp20_sample',
        description='847 Materials Project structures (MP-20 subset, VASP-PBE)',
        licence='MIT',
        citation='Jain et al., APL Mater. 1, 011002 (2013); MP-20 split of Xie et al., CDVAE, ICLR (2022)',
        bibkey='jain2013',
        files=(
            RemoteFile('mp20_sample.csv', url='https://raw.githubusercontent.com/OPRYAN90/cdvae/437566befc3b53756d8b18f1fe885fbae84e49a6/data/mp_20/train.csv', sha256='88e85ab73e67053de2054063efb6241ccd0c3c175315fb91c282dbb7a2e75584', size=1102700),
        ),
    ),
    Dataset(
        name='gesn2n4',
        description='GeSn2N4 spinel cation configurations: GGA/HSE band gaps, POSCARs, CELL cluster counts',
        licence='GPL-3.0',
        citation='P. Sánchez-Palencia et al., GeSn2N4_ML data repository, github.com/pablos-pv/GeSn2N4_ML',
        bibkey='sanchezpalencia_gesn2n4',
        files=(
            RemoteFile('gesn2n4_gga.csv', url='https://raw.githubusercontent.com/pablos-pv/GeSn2N4_ML/b0c19082524ef142df465d435a86e0d966015143/repository_data/vasp-energies.csv', sha256='5bc0f11726aeb2cf15c5c84e504b7f7c1e13dd6235e71834e730100d03294527', size=63691),
            RemoteFile('gesn2n4_gga_structures.txt', url='https://raw.githubusercontent.com/pablos-pv/GeSn2N4_ML/b0c19082524ef142df465d435a86e0d966015143/repository_data/gga_structures_list.txt', sha256='b8091a020eb51644848d228cc0b4d348bdadd83f0f8d6dae589fcea22beef796', size=4860),
            RemoteFile('gesn2n4_hse.csv', url='https://raw.githubusercontent.com/pablos-pv/GeSn2N4_ML/b0c19082524ef142df465d435a86e0d966015143/repository_data/vasp-hseenergies.csv', sha256='38a1a88d4785fdf1d7a3dd9bb74b34aa95e749482b5ed04e37ecd9a1e7fb6e4f', size=1292),
            RemoteFile('gesn2n4_cell_cluster_counts.txt', url='https://raw.githubusercontent.com/pablos-pv/GeSn2N4_ML/b0c19082524ef142df465d435a86e0d966015143/repository_data/correlation_matrix.txt', sha256='4c1f38d8b79fc5967e854467c31d9430ed71f0bfa4a2707ece8d4d785f5f1d5f', size=304009),
            RemoteFile('gesn2n4_structures.tar.gz', url='https://github.com/pablos-pv/GeSn2N4_ML/archive/b0c19082524ef142df465d435a86e0d966015143.tar.gz', sha256='6ff19adecf798a80e64e8887d7252ce5ed4864fb7bdd8e8bc0b95267c6ed5f66', size=97053),
        ),
    ),
    Dataset(
        name='icet_agpd_reference',
        description='icet tutorial Ag-Pd fcc reference data (ASE SQLite, mixing energies)',
        licence='MPL-2.0',
        citation='Ångqvist et al., Adv. Theory Simul. 2, 1900015 (2019)',
        bibkey='angqvist2019',
        files=(
            RemoteFile('icet_agpd_reference.db', url='https://raw.githubusercontent.com/manishrana7/icet-manish/59624178796f85315cd9e169516460e38a862a0b/examples/tutorial/reference_data.db', sha256='70b58e0cede2bec324dcf2fb62b0243d5630ce7a1aff235fc91206513546e0f1', size=786432),
        ),
    ),
    Dataset(
        name='nomad_dos_fingerprint_cases',
        description='15 NOMAD DOS spectra with stored fingerprints and similarity matrix (test fixture of the reference implementation)',
        licence='Apache-2.0',
        citation='Kuban, Rigamonti, Scheidgen, Draxl, Sci. Data 9, 646 (2022)',
        bibkey='kuban2022',
        files=(
            RemoteFile('nomad_dos_fingerprint_cases.json', url='https://raw.githubusercontent.com/kubanmar/dos-fingerprints/204e97143f98b45fc87bc9b756d591e4691afa12/tests/fingerprint_generation_test_data.json', sha256='eb823abb2c2b25f6511217c9f0a58feb32611b98f94d7a06c36be1e182438372', size=236705),
        ),
    ),
    # Composition tables (formula, target) of Chapter 2: the same quantity in several databases
    Dataset(
        name='mp_ef_critexam',
        description='MP formation energy per atom, lowest-energy entry per composition (formula, eV/atom), CrabNet train/val/test',
        licence='MIT (CrabNet repository)',
        citation='Bartel et al., npj Comput. Mater. 6, 97 (2020); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='bartel2020',
        files=(
            RemoteFile('mp_ef_critexam_train.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/CritExam__Ef/train.csv', sha256='717892455f5474fb98d952b2824b09e2abae21d4893eebc5f0e16b5042a9f168', size=1747034),
            RemoteFile('mp_ef_critexam_val.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/CritExam__Ef/val.csv', sha256='f641c56947685fad49aaf13c31b098593a708d8aff19cf271b2239251d9d6a3a', size=374526),
            RemoteFile('mp_ef_critexam_test.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/CritExam__Ef/test.csv', sha256='92052ffc5bad988371946b1c98a605addf88fd2894e2319ed1a39653cecb0f43', size=374617),
        ),
    ),
    Dataset(
        name='matbench_mp_e_form',
        description='Matbench mp_e_form: MP formation energy per atom incl. polymorphs (formula, eV/atom)',
        licence='MIT (CrabNet repository)',
        citation='Dunn, Wang, Ganose, Dopp, Jain, npj Comput. Mater. 6, 138 (2020); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='dunn2020',
        files=(
            RemoteFile('matbench_mp_e_form_formulas.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/matbench/mp_e_form.csv', sha256='90e895635c96447c5be4e9070d26f26e1b4d17925102a6597ae3c4d79c32555b', size=4022461),
        ),
    ),
    Dataset(
        name='matbench_mp_gap',
        description='Matbench mp_gap: MP PBE band gaps (formula, eV)',
        licence='MIT (CrabNet repository)',
        citation='Dunn, Wang, Ganose, Dopp, Jain, npj Comput. Mater. 6, 138 (2020); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='dunn2020',
        files=(
            RemoteFile('matbench_mp_gap_formulas.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/matbench/mp_gap.csv', sha256='4084e584467e6f81ec8bf12c438eeb2c049ae39e11401bae694ef6a9983b9d9f', size=2147391),
        ),
    ),
    Dataset(
        name='jarvis_ef',
        description='JARVIS-DFT (OptB88vdW) formation energy per atom (composition, eV/atom), 90/10 parts',
        licence='Northwestern University permissive notice (COPYRIGHT in the CrossPropertyTL repository); data from JARVIS-DFT (NIST)',
        citation='Choudhary et al., npj Comput. Mater. 6, 173 (2020); as prepared by Gupta et al., Nat. Commun. 12, 6595 (2021)',
        bibkey='choudhary2020',
        files=(
            RemoteFile('jarvis_ef_train.csv', url='https://raw.githubusercontent.com/NU-CUCIS/CrossPropertyTL/7258427fb5fe3cd8d34ece0fdfbd33f690d494a6/data/deltae/deltae_training_set.csv', sha256='d0fb3731aab4db0c4467cd2bc3e857400c96442c3db51920ebd2c4df66fb0823', size=603363),
            RemoteFile('jarvis_ef_test.csv', url='https://raw.githubusercontent.com/NU-CUCIS/CrossPropertyTL/7258427fb5fe3cd8d34ece0fdfbd33f690d494a6/data/deltae/deltae_test_set.csv', sha256='1949068253e3cecb5347b272036b946df49a5f1198f7a690c0429546a8481411', size=64301),
        ),
    ),
    Dataset(
        name='jarvis_gap',
        description='JARVIS-DFT (OptB88vdW) band gaps (composition, eV), 90/10 parts',
        licence='Northwestern University permissive notice (COPYRIGHT in the CrossPropertyTL repository); data from JARVIS-DFT (NIST)',
        citation='Choudhary et al., npj Comput. Mater. 6, 173 (2020); as prepared by Gupta et al., Nat. Commun. 12, 6595 (2021)',
        bibkey='choudhary2020',
        files=(
            RemoteFile('jarvis_gap_train.csv', url='https://raw.githubusercontent.com/NU-CUCIS/CrossPropertyTL/7258427fb5fe3cd8d34ece0fdfbd33f690d494a6/data/optb88vdw_bandgap/optb88vdw_bandgap_training_set.csv', sha256='a8833e050e620fd2b168e30a7ca1f0779e3892fe1833dfdb99bcde240b6676d8', size=458137),
            RemoteFile('jarvis_gap_test.csv', url='https://raw.githubusercontent.com/NU-CUCIS/CrossPropertyTL/7258427fb5fe3cd8d34ece0fdfbd33f690d494a6/data/optb88vdw_bandgap/optb88vdw_bandgap_test_set.csv', sha256='6a66c75b1cf28b66a2a5b1f884dd6cce8ff26cb5bbf8e69cbdff6434e73f49ae', size=48519),
        ),
    ),
    Dataset(
        name='oqmd_gap',
        description='OQMD band gaps (formula, eV), ElemNet set, CrabNet train/val/test',
        licence='MIT (CrabNet repository)',
        citation='Jha et al., Sci. Rep. 8, 17593 (2018); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='jha2018',
        files=(
            RemoteFile('oqmd_gap_train.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/OQMD_Bandgap/train.csv', sha256='8611a9f1f76ad06d846890d2234e6b37909abd941c156cdc339447bbcce3ada7', size=3410027),
            RemoteFile('oqmd_gap_val.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/OQMD_Bandgap/val.csv', sha256='7838750eb3b5b09ec296b0fbf194271f6588b4bcd4653e392aba6df04c645002', size=730170),
            RemoteFile('oqmd_gap_test.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/OQMD_Bandgap/test.csv', sha256='59206d9cf13387a6cbf5a155f5b350043aee2f190663bb9baf97a6ee85e63d55', size=731250),
        ),
    ),
    Dataset(
        name='oqmd_dhf',
        description='OQMD formation enthalpy per atom (formula, eV/atom), CrabNet benchmark val + test parts (the train part is not in the repository snapshot: val + test, 102,510 formulas, are the OQMD table here)',
        licence='MIT (CrabNet repository); OQMD data CC-BY-4.0',
        citation='Saal et al., JOM 65, 1501 (2013); Kirklin et al., npj Comput. Mater. 1, 15010 (2015); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='kirklin2015',
        files=(
            RemoteFile('oqmd_dhf_val.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/OQMD_Formation_Enthalpy/val.csv', sha256='af138c2bfed3a8eb8fc2e202690fae94190e0e64258625ce1612df45298193d4', size=1187043),
            RemoteFile('oqmd_dhf_test.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/benchmark_data/OQMD_Formation_Enthalpy/test.csv', sha256='773275807866c98cef1d36887e2f33cf3a3bb0428fc8faf6912cdcff19961172', size=1188263),
        ),
    ),
    Dataset(
        name='element_mat2vec',
        description='mat2vec element embeddings, 200 dimensions per element (CrabNet\'s element features)',
        licence='MIT (CrabNet repository)',
        citation='Tshitoyan et al., Nature 571, 95 (2019); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='tshitoyan2019',
        files=(
            RemoteFile('element_mat2vec.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/element_properties/mat2vec.csv', sha256='5dcde1a0fe13040af99dbcb7b3d73eb022ffd085e7f598dce70844d0af83b137', size=476891),
        ),
    ),
    Dataset(
        name='element_matscholar',
        description='matscholar element embeddings, 200 dimensions per element (the ElMD element dictionary; Roost\'s initial element features)',
        licence='MIT (CrabNet repository)',
        citation='Weston et al., J. Chem. Inf. Model. 59, 3692 (2019); Tshitoyan et al., Nature 571, 95 (2019); via CrabNet (Wang et al., npj Comput. Mater. 7, 77 (2021))',
        bibkey='tshitoyan2019',
        files=(
            RemoteFile('element_matscholar.csv', url='https://raw.githubusercontent.com/anthony-wang/CrabNet/457b4d4835737ecbe4dd33e53174bd818bd82143/data/element_properties/elmd_element_props/matscholar.csv', sha256='dde20fa3828a63ebe22aa48fdc80069ac8d1b0921d3cd194c67e9b130645fe5a', size=410123),
        ),
    ),
    # Full-profile data: too large for the mirror, fetched from the canonical URL on a machine
    # with internet access. Its checksum is not published, so it is pinned on first download.
    Dataset(
        name="mp2018",
        description="MP-crystals-2018.6.1 (69,239 Materials Project entries, CIF + formation energy + gap)",
        licence="CC-BY-4.0",
        citation="Chen, Ye, Zuo, Zheng, Ong, Chem. Mater. 31, 3564 (2019); figshare file 15087992",
        bibkey="chen2019",
        files=(
            RemoteFile("mp.2018.6.1.json.zip", url="https://figshare.com/ndownloader/files/15087992", sha256=None, size=None),
        ),
    ),
)

REGISTRY: dict[str, Dataset] = {d.name: d for d in _DATASETS}
_FILES: dict[str, tuple[Dataset, RemoteFile]] = {
    f.name: (d, f) for d in _DATASETS for f in d.files
}


def dataset(name: str) -> Dataset:
    """Look up a dataset by name, with a helpful error listing the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(REGISTRY))}"
        ) from None


def file_entry(file_name: str) -> tuple[Dataset, RemoteFile]:
    """Look up a registered file by its name; returns its dataset and entry."""
    try:
        return _FILES[file_name]
    except KeyError:
        raise KeyError(
            f"unknown data file {file_name!r}; known files: {', '.join(sorted(_FILES))}"
        ) from None
