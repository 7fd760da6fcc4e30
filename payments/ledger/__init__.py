"""The double-entry ledger: accounts, the one writer of balanced transactions, and the
postings of sales, refunds, top-up credits and payouts (`accounts`, `postings`, `sales`,
`refunds`, `clearing`), with its reads in `selectors`. It knows nothing of top-ups' providers:
`payments.topups` posts through it."""
