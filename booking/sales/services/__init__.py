"""Sales' writes, by workflow: `create` (booking a PNR), `draft` (the booking page's draft and
its payment), `fares` (a company's fare rules)."""
