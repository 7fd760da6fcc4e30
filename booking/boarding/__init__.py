"""Boarding: the ticket format and its keys, issuing tickets, scans online and offline, the
trip manifest and the boarding sheet."""
