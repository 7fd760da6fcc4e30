"""Tickets: how fast a ticket is signed, checked (as the server does: HMAC and Ed25519;
and as an offline scanner does: Ed25519 alone) and drawn as a QR (PNG, SVG), in one
process, no database. Writes bench/results/tickets.json.

Knobs (environment): BENCH_TICKETS (2000 tickets signed and checked), BENCH_QR (200 QR
images of each kind).
"""

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from booking.boarding import ticket_format
from booking.boarding.qr import qr_png, qr_svg

RESULTS = Path(__file__).resolve().parent / "results"


def body(i: int) -> ticket_format.TicketBody:
    start = datetime(2030, 1, 7, 2, 30, tzinfo=UTC)
    return ticket_format.TicketBody(
        pnr=f"{4_301_700_000 + i}",
        passenger=10_000 + i,
        index=1 + i % 6,
        name=f"Passenger {i:05d}",
        trip=123_456,
        class_code="SL",
        coach=f"S{1 + i % 14}",
        seat=str(1 + i % 72),
        status="CNF",
        origin="NDLS",
        destination="MMCT",
        origin_sequence=1,
        destination_sequence=17,
        valid_from=start - timedelta(hours=3),
        valid_until=start + timedelta(hours=22),
    )


def rate(count: int, work) -> dict:
    started = time.perf_counter()
    for i in range(count):
        work(i)
    seconds = time.perf_counter() - started
    return {
        "count": count,
        "seconds": round(seconds, 4),
        "per_second": round(count / seconds),
        "mean_us": round(seconds / count * 1e6, 1),
    }


def main() -> int:
    count = int(os.environ.get("BENCH_TICKETS", "2000"))
    images = int(os.environ.get("BENCH_QR", "200"))
    key = ticket_format.KeyPair.from_seed("BENCH", hmac_secret=os.urandom(32), seed=os.urandom(32))
    ring = ticket_format.Keyring(signing=key, verifying={key.kid: key})
    bodies = [body(i) for i in range(count)]
    signed = [ticket_format.ticket_sign(b, key) for b in bodies]

    results = {
        "sign": rate(count, lambda i: ticket_format.ticket_sign(bodies[i], key)),
        "verify_server": rate(count, lambda i: ticket_format.ticket_verify(signed[i], ring)),
        # Offline scanners check Ed25519 only: the server's HMAC part is not theirs.
        "verify_ed25519_only": rate(
            count,
            lambda i: key.public.verify(
                ticket_format.b32decode(signed[i].split(".")[3]),
                ".".join(signed[i].split(".")[:3]).encode(),
            ),
        ),
        "qr_png": rate(images, lambda i: qr_png(signed[i])),
        "qr_svg": rate(images, lambda i: qr_svg(signed[i])),
    }
    lengths = sorted(len(s) for s in signed)
    report = {
        "benchmark": "tickets",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "ticket_length_chars": {"min": lengths[0], "max": lengths[-1]},
        "qr_png_bytes": len(qr_png(signed[0])),
        "qr_svg_bytes": len(qr_svg(signed[0])),
        "results": results,
        "ratios": {
            "verify_server_over_sign": round(
                results["verify_server"]["mean_us"] / results["sign"]["mean_us"], 2
            ),
            "qr_png_over_sign": round(results["qr_png"]["mean_us"] / results["sign"]["mean_us"], 1),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tickets.json").write_text(json.dumps(report, indent=2) + "\n")
    for name, figures in results.items():
        print(f"{name:22} {figures['per_second']:>8}/s  {figures['mean_us']:>9} µs each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
