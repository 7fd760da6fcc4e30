"""The hand-checked world is what its description says (so the figures below rest on it)."""

from booking.models import Passenger


def test_the_world_holds_the_statuses_and_refund_described(world):
    statuses = {
        pnr: list(
            Passenger.objects.filter(pnr=getattr(world, pnr))
            .order_by("index")
            .values_list("status", flat=True)
        )
        for pnr in ("p1", "p2", "p3", "p4", "pb")
    }
    assert statuses == {
        "p1": ["CAN", "CNF", "CNF", "CNF", "CNF", "CNF"],
        "p2": ["CNF", "RAC", "RAC"],
        "p3": ["WL"],
        "p4": ["CNF", "CNF"],
        "pb": ["CNF"],
    }
    assert Passenger.objects.get(pnr=world.p1, index=1).refund == 80_000
