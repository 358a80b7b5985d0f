"""Indicators for Mosseregionen interkommunalt politisk råd (MIPR), built on SSB's PxWebApi v2."""

__version__ = "0.1.0"
