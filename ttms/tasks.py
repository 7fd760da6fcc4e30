import os
import socket

from celery import shared_task
from django.utils import timezone


@shared_task
def ping_task() -> dict:
    """Answer from whichever worker runs it: a liveness check of broker, worker and results."""
    return {
        "pong": True,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "at": timezone.now().isoformat(),
    }
