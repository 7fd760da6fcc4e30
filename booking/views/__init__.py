"""The passenger pages: search and booking, PNRs, tickets."""
