"""Shared pure-Python pieces of the TV-shopping contact center.

Both the Tryton modules and the telephony bridge import from here, so a rule
that both need (how a phone number is normalised, for instance) lives once.
"""
