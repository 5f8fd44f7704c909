"""ForceWatch publish layer: the offline HTML report, the evidence bundle and exports.

Everything here reads the store (``forcewatch.store.repo``) and the project configuration; it
computes no statistics of its own beyond grouping and resampling stored numbers for display.
"""

from forcewatch.errors import ForceWatchError


class PublishError(ForceWatchError):
    """A publication cannot be produced (missing browser for PDF, unwritable output, ...)."""

    exit_code = 8


__all__ = ["PublishError"]
