"""The ``refpipe`` command line (a thin layer over ``pipeline`` and ``flows``)."""
