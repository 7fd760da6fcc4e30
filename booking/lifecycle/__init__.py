"""A booking's lifecycle after its sale: the cancellation rulebook and refunds, RAC and waitlist
promotion, charting, and an operator's changes to a whole trip (cancelling it, swapping its
vehicle)."""
