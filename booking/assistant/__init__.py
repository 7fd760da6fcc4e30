"""The passenger assistant: a trip search asked in plain words ("bus kigali to musanze
tomorrow evening for 2", "kal Delhi se Howrah 3A"), parsed offline into a `TripQuery`
(optionally by a configured LLM, whose answer is validated into the same query), answered
with the results page's own search."""
