"""A settlement run's statement, read by people (the admin page, the PDF) and by
spreadsheets (the CSV): one set of lines, three renderings.

The PDF is drawn with ReportLab. Its base fonts cover Latin-1 only, so DejaVu Sans (the
rupee sign, most scripts but Indic ones) and Lohit Devanagari (a company or station name in
Hindi) are used where Debian installs them (packages fonts-dejavu-core and
fonts-lohit-deva); without them the PDF falls back to Helvetica, whose missing characters
show as blanks. ReportLab lays Devanagari out without a shaping engine, so some conjuncts
and vowel signs are drawn apart: readable, not typeset.
"""

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from babel.numbers import format_percent
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ttms import localtime, money

from .models import SettlementRun

_DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
_DEVANAGARI = "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf"
# Table rules, in points (as fractions: payments code holds no float literal).
RULE, HAIRLINE = 4 / 5, 3 / 10
_DEVANAGARI_RUN = re.compile(r"([\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff]+)")


@dataclass(frozen=True)
class StatementLine:
    label: str
    amount: int
    count: int | None = None
    # A total, set in bold.
    strong: bool = False


def rate_text(rate_bp: int) -> str:
    """500 basis points -> "5%" (in the active language)."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    try:
        return format_percent(Decimal(rate_bp).scaleb(-4), "#,##0.##%", locale=language)
    except ValueError:
        return format_percent(Decimal(rate_bp).scaleb(-4), "#,##0.##%", locale="en")


def period_text(run: SettlementRun) -> str:
    """ "1 March 2026 to 31 March 2026 (Asia/Kolkata)": the local days, the zone named."""
    return _("%(start)s to %(end)s (%(zone)s)") % {
        "start": formats.date_format(run.period_start, "j F Y"),
        "end": formats.date_format(run.period_end, "j F Y"),
        "zone": run.time_zone,
    }


def statement_lines(run: SettlementRun) -> list[StatementLine]:
    """The statement's figures, top to bottom: what was earned, then what was paid."""
    lines = [
        StatementLine(_("Sales"), run.sales, run.sales_count),
        StatementLine(_("Refunds"), -run.refunds, run.refunds_count),
        StatementLine(
            _("Platform commission (%(rate)s)") % {"rate": rate_text(run.rate_bp)},
            -run.commission,
        ),
        StatementLine(_("Net for the period"), run.net, strong=True),
    ]
    if run.brought_forward:
        lines += [
            StatementLine(_("Brought forward from earlier runs"), run.brought_forward),
            StatementLine(_("Payable"), run.payable),
        ]
    lines.append(StatementLine(_("Paid out"), run.payout_amount, strong=True))
    if run.carried_forward:
        lines.append(
            StatementLine(
                _("Owed by the company, carried to the next run")
                if run.carried_forward < 0
                else _("Held back, carried to the next run"),
                run.carried_forward,
            )
        )
    return lines


def payout_text(run: SettlementRun) -> str:
    """ "SET-… on 02 Apr 2026 12:00 IST", or why nothing was paid."""
    if run.payout is None:
        return _("No payout: nothing was payable.")
    return _("%(reference)s on %(when)s") % {
        "reference": run.payout.reference_id,
        "when": localtime.local_datetime(run.payout.created_at, run.time_zone),
    }


CSV_HEADER = [
    "reference",
    "company",
    "currency",
    "day",
    "sales",
    "sales_count",
    "refunds",
    "refunds_count",
    "commission",
    "net",
    "brought_forward",
    "paid",
    "carried_forward",
]


def statement_csv(run: SettlementRun) -> str:
    """One row per local day with money, then a "total" row with what was paid; amounts
    as exact decimal strings in major units ("151.51"), the last three columns only on
    the total row."""

    def fmt(amount: int) -> str:
        return money.to_major_string(amount, run.currency)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    head = [run.reference, run.company.name, run.currency]
    for day in run.days:
        writer.writerow(
            [
                *head,
                day["day"],
                fmt(day["sales"]),
                day["sales_count"],
                fmt(day["refunds"]),
                day["refunds_count"],
                fmt(day["commission"]),
                fmt(day["net"]),
                "",
                "",
                "",
            ]
        )
    writer.writerow(
        [
            *head,
            "total",
            fmt(run.sales),
            run.sales_count,
            fmt(run.refunds),
            run.refunds_count,
            fmt(run.commission),
            fmt(run.net),
            fmt(run.brought_forward),
            fmt(run.payout_amount),
            fmt(run.carried_forward),
        ]
    )
    return out.getvalue()


def _fonts() -> tuple[str, str, str | None]:
    """(regular, bold, Devanagari or None) font names, registered once per process."""
    registered = pdfmetrics.getRegisteredFontNames()
    regular, bold, devanagari = "Helvetica", "Helvetica-Bold", None
    if os.path.exists(_DEJAVU) and os.path.exists(_DEJAVU_BOLD):
        if "TTMSSans" not in registered:
            pdfmetrics.registerFont(TTFont("TTMSSans", _DEJAVU))
            pdfmetrics.registerFont(TTFont("TTMSSans-Bold", _DEJAVU_BOLD))
        regular, bold = "TTMSSans", "TTMSSans-Bold"
    if os.path.exists(_DEVANAGARI):
        if "TTMSDevanagari" not in registered:
            pdfmetrics.registerFont(TTFont("TTMSDevanagari", _DEVANAGARI))
        devanagari = "TTMSDevanagari"
    return regular, bold, devanagari


def _markup(text: str, devanagari: str | None) -> str:
    """`text` as Paragraph markup: escaped, its Devanagari runs in the Devanagari font."""
    if devanagari is None:
        return escape(text)
    return "".join(
        f'<font name="{devanagari}">{escape(part)}</font>' if i % 2 else escape(part)
        for i, part in enumerate(_DEVANAGARI_RUN.split(text))
    )


def statement_pdf(run: SettlementRun) -> bytes:
    """The statement as an A4 PDF: the platform and the company, the period in the
    company's local days, the figures right-aligned in its currency, the days, the payout
    and when the statement was generated, in the company's zone."""
    regular, bold, devanagari = _fonts()
    ink, muted, rule = (
        colors.HexColor("#1b1f24"),
        colors.HexColor("#5b6470"),
        colors.HexColor("#c9d1d9"),
    )
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=14, textColor=ink)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=muted)
    brand = ParagraphStyle("brand", parent=body, fontName=bold, fontSize=11, textColor=muted)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=18, leading=22)
    company_style = ParagraphStyle("company", parent=body, fontName=bold, fontSize=13, leading=18)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    right_strong = ParagraphStyle("right_strong", parent=right, fontName=bold)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    head = ParagraphStyle("head", parent=small, fontName=bold, textColor=muted)
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)

    def p(text, style=body) -> Paragraph:
        return Paragraph(_markup(str(text), devanagari), style)

    def amount(value: int) -> str:
        return money.format_money(value, run.currency)

    generated = f"{localtime.local_datetime(timezone.now(), run.time_zone)} ({run.time_zone})"
    page_width = A4[0] - 36 * mm

    story = [
        Table(
            [
                [
                    p(_("TTMS · intercity trains and buses"), brand),
                    p(formats.date_format(localtime.today(run.time_zone), "j F Y"), right),
                ]
            ],
            colWidths=[page_width * 3 / 5, page_width * 2 / 5],
            style=[("VALIGN", (0, 0), (-1, -1), "BOTTOM")],
        ),
        Spacer(1, 4 * mm),
        p(_("Settlement statement"), title),
        Spacer(1, 3 * mm),
        p(run.company.name, company_style),
        p(_("Period: %(period)s") % {"period": period_text(run)}),
        p(_("Currency: %(currency)s") % {"currency": run.currency}),
        p(_("Reference: %(reference)s") % {"reference": run.reference}),
        Spacer(1, 6 * mm),
    ]

    figures = [[p(_("Item"), head), p(_("Count"), head_right), p(_("Amount"), head_right)]]
    strong_rows = []
    for line in statement_lines(run):
        if line.strong:
            strong_rows.append(len(figures))
        figures.append(
            [
                p(line.label, strong if line.strong else body),
                p("" if line.count is None else formats.number_format(line.count), right),
                p(amount(line.amount), right_strong if line.strong else right),
            ]
        )
    figure_style = [
        ("LINEBELOW", (0, 0), (-1, 0), RULE, ink),
        ("LINEBELOW", (0, 1), (-1, -1), HAIRLINE, rule),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for row in strong_rows:
        figure_style.append(("BACKGROUND", (0, row), (-1, row), colors.HexColor("#f1f4f7")))
    story += [
        Table(
            figures,
            colWidths=[page_width * 3 / 5, page_width * 3 / 20, page_width / 4],
            style=TableStyle(figure_style),
            repeatRows=1,
        ),
        Spacer(1, 4 * mm),
        p(_("Payout: %(payout)s") % {"payout": payout_text(run)}),
        Spacer(1, 8 * mm),
        p(_("By day"), company_style),
        Spacer(1, 2 * mm),
    ]

    days = [
        [
            p(_("Day"), head),
            p(_("Sales"), head_right),
            p(_("Refunds"), head_right),
            p(_("Commission"), head_right),
            p(_("Net"), head_right),
        ]
    ]
    for day in run.days:
        days.append(
            [
                p(formats.date_format(date.fromisoformat(day["day"]), "D j M Y")),
                p(f"{amount(day['sales'])} ({day['sales_count']})", right),
                p(f"{amount(day['refunds'])} ({day['refunds_count']})", right),
                p(amount(day["commission"]), right),
                p(amount(day["net"]), right),
            ]
        )
    if not run.days:
        days.append([p(_("No sales or refunds in the period.")), "", "", "", ""])
    story += [
        Table(
            days,
            colWidths=[page_width * 6 / 25] + [page_width * 19 / 100] * 4,
            style=TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), RULE, ink),
                    ("LINEBELOW", (0, 1), (-1, -1), HAIRLINE, rule),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            ),
            repeatRows=1,
        ),
        Spacer(1, 8 * mm),
        p(
            _(
                "Sales include the platform's commission; refunds are what was paid back to "
                "passengers; net = sales − refunds − commission. Days are local days of "
                "%(zone)s."
            )
            % {"zone": run.time_zone},
            small,
        ),
    ]

    footer_text = _("Generated %(when)s · %(reference)s · page %(page)s")

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(muted)
        canvas.drawString(
            18 * mm,
            12 * mm,
            footer_text % {"when": generated, "reference": run.reference, "page": doc.page},
        )
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=22 * mm,
        title=_("Settlement statement %(reference)s") % {"reference": run.reference},
        author="TTMS",
        subject=run.company.name,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
