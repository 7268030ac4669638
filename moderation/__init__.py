"""Content screening, measures, blacklist and the review queue (later issues). May import groups and below."""
