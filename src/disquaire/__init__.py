"""Disquaire: a band's own record shop and website."""

__version__ = "0.1.0"
