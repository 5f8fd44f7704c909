"""ForceWatch: watch military sites from orbit and test official claims against the imagery."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("forcewatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
