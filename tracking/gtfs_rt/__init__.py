"""GTFS-Realtime out (VehiclePositions and TripUpdates of the trips being tracked) and in
(an operator's VehiclePositions feed, fed through the same publish path as a driver)."""
