"""What a top-up's holder is told when it settles: credited, or failed."""

from ttms.notifications.services import Message, outbox_add

from ..models import Payment


def topup_settled_tell(payment: Payment) -> None:
    """ "topup.credited" or "topup.failed" to the payer, in the transaction that settled
    `payment` (locked by the caller). A top-up the payer dismissed tells nobody: they know.
    Once per outcome: a payment TTMS gave up on and the provider then credited is told
    both."""
    if payment.status == Payment.Status.SUCCEEDED:
        topic, extra = "topup.credited", {}
    elif payment.status == Payment.Status.FAILED:
        if payment.failure_code == Payment.FailureCode.DISMISSED:
            return
        topic = "topup.failed"
        extra = {"reason": payment.failure_reason, "code": payment.failure_code}
    else:
        return
    outbox_add(
        messages=[
            Message(
                topic=topic,
                user_id=payment.user_id,
                payload={
                    "amount": payment.amount,
                    "currency": payment.currency,
                    "reference": str(payment.pk),
                    **extra,
                },
                dedupe_key=f"{topic}:{payment.pk}",
            )
        ],
        now=payment.completed_at,
    )
