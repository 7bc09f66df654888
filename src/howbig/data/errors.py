"""Errors raised by the data layer; each message names the dataset, the URL and what to do."""

from __future__ import annotations

__all__ = ["ChecksumMismatchError", "CorruptArchiveError", "DataError", "DataUnavailableError"]


class DataError(RuntimeError):
    """Base class of the data layer's errors."""


class DataUnavailableError(DataError):
    """A file is not cached and no mirror or URL could deliver it (typically: offline)."""


class ChecksumMismatchError(DataError):
    """A file's sha256 differs from the registry's; the file is refused."""


class CorruptArchiveError(DataError):
    """An archive cannot be read end to end (typically: truncated)."""
