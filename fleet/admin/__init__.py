"""Admin for operator staff, one module per model family: company-scoped everywhere
(fleet.admin_scoping), state changes through fleet.services. Importing the package registers
every module's admins."""

from . import companies, onboarding, routes, stations, trips, vehicles

__all__ = ["companies", "onboarding", "routes", "stations", "trips", "vehicles"]
