"""Data layer: registry (what exists) -> fetch (cache, mirror, checksum) -> sources (parsers).

Typical use::

    from howbig import data
    path = data.fetch_file("mp20_sample.csv")   # verified local path
    paths = data.fetch("gesn2n4")              # all files of a dataset
"""

from howbig.data.errors import (
    ChecksumMismatchError,
    CorruptArchiveError,
    DataError,
    DataUnavailableError,
)
from howbig.data.fetch import (
    cache_dir,
    cached_path,
    fetch,
    fetch_file,
    is_cached,
    mirror,
    sha256sum,
    verify,
)
from howbig.data.registry import REGISTRY, Dataset, RemoteFile, dataset, file_entry

__all__ = [
    "REGISTRY",
    "ChecksumMismatchError",
    "CorruptArchiveError",
    "DataError",
    "DataUnavailableError",
    "Dataset",
    "RemoteFile",
    "cache_dir",
    "cached_path",
    "dataset",
    "fetch",
    "fetch_file",
    "file_entry",
    "is_cached",
    "mirror",
    "sha256sum",
    "verify",
]
