"""Moderation's admin, in one module per half: measures (admin_measures) and screening (admin_screening)."""

from .admin_measures import *  # noqa: F403
from .admin_screening import *  # noqa: F403
