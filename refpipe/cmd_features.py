"""Imports every feature command module so that its commands register on the shared app."""
from refpipe import (
    cmd_diff,  # noqa: F401
    cmd_export,  # noqa: F401
    cmd_links,  # noqa: F401
    cmd_search,  # noqa: F401
    cmd_serve,  # noqa: F401
    cmd_status,  # noqa: F401
)
