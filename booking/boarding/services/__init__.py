"""Boarding's writes: issuing tickets (`issue`), scans online and offline (`scans`)."""
