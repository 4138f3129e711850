"""The doctor's report, checked as a reader sees it: every heading has its content on the same
page, no empty charts, no internal ids, counts in the right singular or plural, the chat's
level words. Layout facts come from the PDF's own text and image positions (pypdf); with
pypdfium2 installed every page is also rendered to PNG and checked for blank pages."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from test_insights import twitch

from bot.insights.charts import summary_chart, timeline_chart
from bot.insights.days import JournalDays
from bot.insights.report import ReportData, build_pdf
from bot.insights.stats import Period, summarize
from handlers.appointment import AppointmentPage

HEADING_SIZE = 13.0
INTERNAL_IDS = ("(prompt)", "(monitor)", "(self_care)", "self_care", "(urgent)", "(immediate)", "checkin_days")


@dataclass(frozen=True)
class Item:
    page: int
    y: float  # from the bottom of the page, PDF points
    size: float
    text: str


def layout(pdf: bytes) -> tuple[list[Item], dict[int, list[float]]]:
    """Text items (with font size) and image positions, page by page."""
    items: list[Item] = []
    images: dict[int, list[float]] = {}
    for n, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        images[n] = []

        def on_text(text, cm, tm, font, size, n=n):
            if text.strip():
                items.append(Item(n, tm[5], size, text.strip()))

        def on_op(op, args, cm, tm, n=n):
            if op == b"Do":  # an image drawn with the current matrix: its top edge is cm[5] + cm[3]
                images[n].append(cm[5] + cm[3])

        page.extract_text(visitor_text=on_text, visitor_operand_before=on_op)
    return items, images


def headings_with_nothing_below(items: list[Item], images: dict[int, list[float]]) -> list[str]:
    bad = []
    for h in (i for i in items if i.size == HEADING_SIZE):
        below_text = any(i.page == h.page and i.y < h.y - 1 and i.size < HEADING_SIZE for i in items)
        below_image = any(top <= h.y for top in images[h.page])
        if not (below_text or below_image):
            bad.append(f"page {h.page + 1}: {h.text}")
    return bad


def full_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def report(entries, days=30, **kw) -> bytes:
    period = Period.ending(date(2026, 11, 24), days)
    s = summarize(entries, period, kw.pop("journal", None))
    return build_pdf(
        ReportData(
            kw.pop("name", "Sam"),
            s,
            [],
            datetime(2026, 11, 24, 21, tzinfo=UTC),
            summary_chart(s) if s.count else None,
            timeline_chart(s) if s.groups_by_week else None,
            **kw,
        )
    )


def busy_journal(n: int) -> list:
    start = datetime(2026, 10, 26, 8, tzinfo=UTC)
    regions = ["calf", "eyelid", "thumb", "thigh"]
    return [twitch(start + timedelta(hours=7 * i), region=regions[i % 4]) for i in range(n)]


@pytest.mark.parametrize("n", [1, 3, 12, 22, 24, 40, 55, 80])  # 22 and 24 orphaned a heading before
def test_no_heading_without_its_content_on_the_same_page(n):
    triage = [
        {"at": f"2026-11-{10 + i}T21:00:00+01:00", "level": "prompt", "reasons": [{"source": "RF-1", "text": "x"}]}
        for i in range(n % 5)
    ]
    absent = ["New weakness: asked 3 times, never present (3 Nov – 17 Nov)."] * (n % 3)
    pdf = report(busy_journal(n), triage=triage, absent=absent, plan={"status": "active", "started": "1 Nov 2026"})
    items, images = layout(pdf)
    assert headings_with_nothing_below(items, images) == []
    assert sum(len(v) for v in images.values()) == 2  # the two charts, each drawn once


def test_an_empty_report_has_no_empty_charts_and_says_so():
    pdf = report([])
    items, images = layout(pdf)
    assert all(not v for v in images.values())  # no blank axes
    text = full_text(pdf)
    assert text.count("Nothing logged in this period.") >= 2
    assert "−0.04" not in text and "-0.04" not in text
    assert headings_with_nothing_below(items, images) == []


def test_words_are_the_chats_and_counts_are_singular_or_plural():
    triage = [
        {"at": "2026-11-20T21:00:00+01:00", "level": "prompt", "reasons": [{"source": "RF-1", "text": "Spreading"}]},
        {"at": "2026-11-21T21:00:00+01:00", "level": "self_care", "reasons": []},
    ]
    pdf = report(busy_journal(1), triage=triage, plan={"status": "active", "started": "1 Nov", "checkin_days": 1})
    text = full_text(pdf)
    assert "See a doctor soon" in text and "Self-care first" in text  # rules/triage.toml's words
    assert "See a doctor promptly" not in text
    for internal in INTERNAL_IDS:
        assert internal not in text
    assert "1 twitch logged" in text and "1 twitches" not in text
    assert "answered on 1 day." in text and "1 days" not in text
    assert "0.0 a day" not in text


def test_rates_in_the_report_count_days_since_the_journal_began():
    began = date(2026, 11, 18)
    entries = [twitch(datetime(2026, 11, 18, 9, tzinfo=UTC) + timedelta(hours=8 * i)) for i in range(20)]
    pdf = report(entries, journal=JournalDays(began))
    text = " ".join(full_text(pdf).split())
    assert "20 twitches logged, 2.9 a day over the 7 days since the journal began (Wed 18 Nov)" in text
    assert "days before" not in text


def test_the_appointment_page_comes_first_and_fits_on_one_page():
    page = AppointmentPage(
        "that it could be ALS " * 25,
        "it moved from calf to thigh " * 20,
        "Could an EMG rule it out? " * 20,
        facts=[
            ("When it began and where", ["First twitch logged 26 Oct 2026."] + [f"area {i}" for i in range(6)]),
            ("Red flags asked about", [f"Finding {i}: asked 4 times, never present." for i in range(7)]),
            ("Triage results", [f"2{i} Nov 2026: Keep an eye on it" for i in range(4)]),
            ("What was tried", ["Self-care plan (SC-6) under way."] + [f"Average {i}" for i in range(4)]),
        ],
    )
    pdf = report(busy_journal(30), appointment=page)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert pages[0].startswith("For the appointment: Sam")
    assert "What was tried" in pages[0] and "Average 3" in pages[0]  # all of it on page 1
    assert pages[1].startswith("Twitch journal: Sam")


def test_every_page_renders_and_none_is_blank():
    pdfium = pytest.importorskip("pypdfium2")
    pdf = report(busy_journal(40), absent=["New weakness: asked 2 times, never present (3 Nov – 10 Nov)."])
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) >= 2
    for i in range(len(doc)):
        img = doc[i].render(scale=0.5).to_pil().convert("L")
        dark = sum(img.histogram()[:200])
        assert img.width > 200 and dark > 500, f"page {i + 1} looks blank"
