"""Ronda: a trust-and-safety desk for a messaging platform's public channels.

Ronda (Indonesian: the neighbourhood night watch) records takedown orders from
authorities, finds harmful Indonesian-language content, lets moderators decide,
carries the decisions out on the platform and tells the public what was done.
"""

__version__ = "0.1.0"
