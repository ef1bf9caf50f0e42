"""refpipe: CQPM référentiels and RNCP fiches as queryable data."""

__version__ = "0.1.0"
