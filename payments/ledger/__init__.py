"""The double-entry ledger: accounts, the one writer of balanced transactions, and the
postings of sales, refunds, top-up credits, payouts and shift cash (`accounts`, `postings`,
`sales`, `refunds`, `clearing`, `cash_office`), with its reads in `selectors`. It knows
nothing of top-ups' providers: `payments.topups` posts through it."""
