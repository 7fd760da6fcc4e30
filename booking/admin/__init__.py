"""Admin of the booking app, by model family: fares and inventory, PNRs, the lifecycle
(charts, cancelling a trip, swapping its vehicle) and boarding. Importing the modules
registers their admins."""

from . import boarding, inventory, lifecycle, pnrs

__all__ = ["boarding", "inventory", "lifecycle", "pnrs"]
