"""Helpers the tests share: the local PxWebApi stand-in, browser checks, process drivers and
the steps spawned children run (hand-made)."""
