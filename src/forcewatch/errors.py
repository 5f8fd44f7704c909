"""User-facing error hierarchy.

Every error raised by library code for a reason the user can fix is one of these. Messages are
written for a person: one line that says what is wrong and how to fix it. The CLI prints the
message (no stack trace) and exits with ``exit_code``.
"""

from __future__ import annotations


class ForceWatchError(Exception):
    """Base class: a problem the user can act on. ``exit_code`` is the CLI's exit status."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")


class ConfigError(ForceWatchError):
    """The project file or a setting is wrong (unknown key, bad value, missing file)."""

    exit_code = 2


class InputError(ForceWatchError):
    """An input file or argument is wrong: corrupt raster, bad GeoJSON, bad date, bad shape."""

    exit_code = 3


class ImageryError(InputError):
    """A raster cannot be read or used (corrupt, truncated, wrong CRS, no overlap)."""


class StoreError(ForceWatchError):
    """The store cannot be opened, migrated or written."""

    exit_code = 4


class ModelError(ForceWatchError):
    """A detector model file is missing, not ONNX, or has the wrong input/output shape."""

    exit_code = 5


class EngineError(ForceWatchError):
    """The Dask scheduler cannot be reached or a task failed."""

    exit_code = 6


class FetchError(ForceWatchError):
    """A STAC API or download failed after retries."""

    exit_code = 7
