"""Cluster expansion: icet cluster vectors, polynomial (nonlinear) features and OMP model paths.

Methods only: nothing here reads files or draws (the chapter's data loading and caching live in
:mod:`howbig.chapters.cluster_expansion` and :mod:`howbig.data.sources`).
"""

from howbig.methods.cluster_expansion.clusters import (
    affine_rank,
    cell_crosscheck,
    cluster_vectors,
    ge_cluster_counts,
    orbit_table,
    span_residuals,
    spinel_cluster_space,
    spinel_primitive,
)
from howbig.methods.cluster_expansion.omp import (
    NestedCV,
    OMPPath,
    omp_cv_path,
    omp_nested_cv,
    omp_path,
    plateau_size,
)
from howbig.methods.cluster_expansion.polynomial import (
    PolynomialFeatures,
    polynomial_feature_count,
)

__all__ = [
    "NestedCV",
    "OMPPath",
    "PolynomialFeatures",
    "affine_rank",
    "cell_crosscheck",
    "cluster_vectors",
    "ge_cluster_counts",
    "omp_cv_path",
    "omp_nested_cv",
    "omp_path",
    "orbit_table",
    "plateau_size",
    "polynomial_feature_count",
    "span_residuals",
    "spinel_cluster_space",
    "spinel_primitive",
]
