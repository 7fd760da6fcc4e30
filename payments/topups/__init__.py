"""Wallet top-ups through payment providers: a pending payment (`services`), the provider
asked to collect and polled (`collection`), its signed events applied once (`webhooks`), the
providers themselves (`providers/`), and the reads (`selectors`). The wallet is credited
through the ledger (`payments.ledger.clearing.wallet_topup_credit`)."""
