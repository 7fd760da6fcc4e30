"""The lifecycle's writes, by workflow: `cancellation`, `promotion`, `charting`, `trips` (an
operator's trip status change and cancellation), `swap` (a trip's vehicle swap)."""
