"""The back office: the operators' and the platform owner's dashboards, reading every app."""
