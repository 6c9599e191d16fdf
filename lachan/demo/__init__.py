"""Demo data shipped with the package (``lachan demo load``): the unit tree of the seed letters, contacts,
the external contact directory, a fictional inventory and demo accounts. See ``loader.py``."""
