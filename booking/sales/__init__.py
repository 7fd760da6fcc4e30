"""Sales: seat inventory, allocation and fares, trip search availability and seat maps, the
booking draft and booking itself, and the PNRs it makes."""
