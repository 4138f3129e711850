"""The report to bring to an appointment: a PDF a clinician can read in two minutes.

Built with fpdf2 and the DejaVu font that matplotlib ships, so any text a person wrote
(accents, Cyrillic, Greek) prints; characters the font lacks (emoji) are replaced."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.insights.patterns import Pattern
from bot.insights.stats import Summary
from bot.insights.text import compare_words, count_line, marks_line, timeline_lines
from bot.insights.words import plural
from bot.wording import duration_words
from rules.sources import Numbering, load_facts
from rules.triage import level_words as triage_level_words
from rules.vocabulary import load_vocabulary

if TYPE_CHECKING:
    from fpdf import FPDF

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\U00010000-\U0010ffff]")

KEEP_WITH_HEADING_MM = 22  # a heading needs room for itself and at least two lines below it
NOTHING = "Nothing logged in this period."


@dataclass
class ReportData:
    name: str | None
    summary: Summary
    patterns: list[Pattern]
    generated: datetime  # local
    summary_png: bytes | None  # None when there is nothing to draw
    timeline_png: bytes | None
    triage: list[dict[str, Any]] = field(default_factory=list)  # export shape: {at, level, reasons: [{source, text}]}
    plan: dict[str, Any] | None = None  # {"status", "started", "checkin_days"}
    absent: list[str] = field(default_factory=list)  # "New weakness: asked 4 times, never present (...)"
    appointment: Any = None  # handlers.appointment.AppointmentPage: the first page, when prepared
    safety: list[str] = field(default_factory=list)  # "Tue 24 Nov 21:30: emergency advice given (...)"


class _Heading(Protocol):
    def __call__(self, text: str, keep_mm: float = ...) -> None: ...


def level_words(level: str | None) -> str:
    """The same words the chat uses for a triage level (rules/triage.toml), never the internal id."""
    return triage_level_words(level, "Result")


def clean(text: str) -> str:
    return _UNPRINTABLE.sub("?", text)


def _font_path() -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def _png_height_mm(png: bytes, width_mm: float) -> float:
    # PNG header: width and height are big-endian 32-bit at bytes 16..24
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return width_mm * h / w


def build_pdf(d: ReportData) -> bytes:
    from fpdf import FPDF

    s = d.summary
    vocab = load_vocabulary()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", _font_path())
    bold = _font_path().replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", "B", bold if Path(bold).exists() else _font_path())
    pdf.add_page()
    width = pdf.epw

    def room_for(mm: float) -> None:
        """Start a new page unless `mm` more fit on this one (keeps a heading with its content)."""
        if pdf.get_y() + mm > pdf.page_break_trigger:
            pdf.add_page()

    def heading(text: str, keep_mm: float = KEEP_WITH_HEADING_MM) -> None:
        room_for(2 + 8 + keep_mm)
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 13)
        pdf.cell(0, 8, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)

    def para(text: str) -> None:
        pdf.multi_cell(width, 5, clean(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def image(png: bytes, w: float, x: float) -> None:
        pdf.image(io.BytesIO(png), w=w, x=x)

    title = f"Twitch journal: {d.name}" if d.name else "Twitch journal"
    if d.appointment is not None:
        _appointment_page(pdf, d, title, heading, para)
        pdf.add_page()

    pdf.set_font("DejaVu", "B", 17)
    pdf.cell(0, 10, clean(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    para(
        f"Period: {s.period.label()} ({plural(s.period.days, 'day')}). Made {d.generated:%d %b %Y %H:%M} "
        f"({d.generated.tzname()}). Kept by the person with the Flicker app; self-reported, not a diagnosis."
    )

    heading("At a glance")
    compare = compare_words(s)
    para(count_line(s, "the").replace(", ", " logged, ", 1) + (f"; {compare}" if compare else "") + ".")
    if quiet := marks_line(s):
        para(quiet.replace("You marked", "Marked").replace("today", "today' by the person").replace('"', "'"))
    if s.regions:
        para(
            "Where: "
            + "; ".join(
                f"{vocab.region_label(r) if r != 'unknown' else 'not given'} {n}" for r, n in s.regions.most_common()
            )
        )
    if s.avg_duration_s is not None:
        para(f"Typical length: average {duration_words(round(s.avg_duration_s))} ({s.timed} timed).")
    if s.avg_intensity is not None:
        para(f"Strength (1-5, self-rated): average {s.avg_intensity:.1f} ({s.rated} rated).")
    if s.triggers:
        para(
            "Possible triggers noted: "
            + ", ".join(f"{vocab.trigger_label(t).lower()} {n}" for t, n in s.triggers.most_common())
        )

    heading("Triage results")
    if d.triage:
        refs = Numbering()  # the facts behind the results, numbered once for the whole report
        for t in d.triage[-5:]:
            reasons = "; ".join(
                f"{r.get('text', '')} {refs.cite(*(r.get('sources') or [r.get('source', '')]))}"
                for r in t.get("reasons", [])
            )
            action = f" {t['action']}" if t.get("action") else ""
            why = f" Why: {reasons}" if reasons else ""
            para(f"{t.get('at', '')[:16].replace('T', ' ')}: {level_words(t.get('level'))}.{action}{why}")
            for m in t.get("mismatches", []):
                para(f"  {m}")
        facts = load_facts()
        if refs.ids:
            heading("Sources of the triage results")
            for n, fid in enumerate(refs.ids, 1):
                f = facts.get(fid)
                para(f"[{n}] {fid} {f.title}: {f.text} (Source: {f.origin}.)" if f else f"[{n}] {fid}")
    else:
        para("No triage questionnaire answered yet.")

    if s.count and d.summary_png:
        # as large as 72% of the width, shrunk (down to 50%) to stay on this page when that is enough
        ratio = _png_height_mm(d.summary_png, 1)
        free = pdf.page_break_trigger - pdf.get_y() - 2 - 8 - 1
        chart_w = min(width * 0.72, free / ratio)
        if chart_w < width * 0.5:
            chart_w = width * 0.72
        heading("Twitches per day, where, and time of day", chart_w * ratio)
        image(d.summary_png, chart_w, pdf.l_margin + (width - chart_w) / 2)
    else:
        heading("Twitches per day")
        para(NOTHING)

    lines = [line.strip() for line in timeline_lines(s)[1:]]
    if s.groups_by_week and d.timeline_png:
        heading("Body areas over time", _png_height_mm(d.timeline_png, width))
        image(d.timeline_png, width, pdf.l_margin)
        for line in lines:
            para(line)
    else:
        heading("Body areas over time")
        para(NOTHING)

    if d.safety:
        heading("Warning signs noticed in messages")
        para(
            "Flicker reads every message for signs that need a doctor or emergency help, and says so at once. "
            "These were noticed in this period (the words stay in the journal, not here):"
        )
        for line in d.safety:
            para("- " + line)

    if d.absent:
        heading("What stayed absent (weekly questions)")
        for line in d.absent:
            para(line)

    if d.patterns:
        heading("Patterns (days compared; not causes)")
        for p in d.patterns:
            para("- " + p.sentence())

    heading("Self-care plan")
    if d.plan:
        days = int(d.plan.get("checkin_days", 0) or 0)
        status = {"active": "under way", "stopped": "stopped", "done": "completed"}.get(d.plan.get("status", ""), "")
        para(f"Plan {status}, started {d.plan.get('started', '?')}; daily check-ins answered on {plural(days, 'day')}.")
    else:
        para("No self-care plan started.")

    heading("Twitches (newest first)")
    if not s.twitches:
        para(NOTHING)
    for e in sorted(s.twitches, key=lambda e: e.occurred_at, reverse=True)[:60]:
        when = e.local_time.strftime("%d %b %H:%M")
        side = f"{e.side} " if e.side else ""
        region = vocab.region_label(e.region).lower() if e.region else "place not given"
        extra = [
            x
            for x in (
                duration_words(e.duration_s),
                f"strength {e.intensity}" if e.intensity else None,
                ", ".join(vocab.trigger_label(t).lower() for t in e.triggers) or None,
            )
            if x
        ]
        para(f"{when}  {side}{region}" + (f"  ({'; '.join(extra)})" if extra else ""))
    if len(s.twitches) > 60:
        para(f"... and {len(s.twitches) - 60} more in the attached CSV.")

    heading("Notes in the person's words")
    if s.notes:
        for note in sorted(s.notes, key=lambda e: e.occurred_at, reverse=True)[:40]:
            para(f"{note.local_time:%d %b %H:%M}  {note.text}")
    else:
        para("No notes in this period.")
    return bytes(pdf.output())


def _appointment_page(pdf: FPDF, d: ReportData, title: str, heading: _Heading, para: Callable[[str], None]) -> None:
    """Page 1 when the person prepared with /appointment: their words, then the journal's facts."""
    a = d.appointment
    pdf.set_font("DejaVu", "B", 17)
    pdf.cell(
        0,
        10,
        clean(f"For the appointment: {d.name}" if d.name else "For the appointment"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 10)
    para(f"Made {d.generated:%d %b %Y}. Self-reported with the Flicker app; not a diagnosis. Details follow.")
    heading("In the person's words")
    for label, text in (("Main worry", a.worry), ("What changed", a.changed), ("Questions", a.questions)):
        para(f"{label}: {text or '(not answered)'}")
    for head, lines in a.facts:
        heading(head)
        for line in lines:
            para(line)
