"""Admin of the booking app, by model family: fare rules and inventory, stage fares (a
route's fare table), PNRs, the lifecycle (charts, cancelling a trip, swapping its vehicle)
and boarding. Importing the modules registers their admins."""

from . import boarding, fares, inventory, lifecycle, pnrs, pos_devices, pos_shifts

__all__ = ["boarding", "fares", "inventory", "lifecycle", "pnrs", "pos_devices", "pos_shifts"]
