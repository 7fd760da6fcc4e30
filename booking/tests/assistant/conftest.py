"""Fixtures of the assistant's tests (`answer_fixtures`): the buses its answers search, and
a fake language model."""

from .answer_fixtures import buses, fake_llm, travel_day  # noqa: F401 (fixtures)
