"""Read-side queries of sales (they never write), a module per thing read: the trip on sale
and the journey on it (`journeys`), availability (`availability`), seat maps (`seat_maps`),
PNRs, their queue positions and the PNR found by contact (`pnrs`)."""
