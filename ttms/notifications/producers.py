"""Builders the services that announce changes share."""

from .services import Message


def staff_messages(
    *, user_ids: list[int], topic: str, payload: dict, dedupe_key: str
) -> list[Message]:
    """One operator event for each of `user_ids` (the company's staff), each with its own
    key derived from `dedupe_key`; for a company without staff, one message to the
    platform (no user), so the event is still on record."""
    if not user_ids:
        return [Message(topic, None, payload, dedupe_key=dedupe_key)]
    return [
        Message(topic, user_id, payload, dedupe_key=f"{dedupe_key}:{user_id}")
        for user_id in user_ids
    ]
