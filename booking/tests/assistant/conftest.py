"""Fixtures of the assistant's tests (`answer_fixtures`): the buses its answers search, and
a fake language model."""

from .answer_fixtures import buses, travel_day  # noqa: F401 (fixtures)
from .fake_llm import fake_llm  # noqa: F401 (a fixture)
