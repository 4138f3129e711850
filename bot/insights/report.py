"""The report to bring to an appointment: a PDF a clinician can read in two minutes.

Built with fpdf2 and the DejaVu font that matplotlib ships, so any text a person wrote
(accents, Cyrillic, Greek) prints; characters the font lacks (emoji) are replaced."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.insights.patterns import Pattern
from bot.insights.stats import Summary
from bot.insights.text import timeline_lines
from bot.wording import duration_words
from rules.sources import Numbering, load_facts
from rules.vocabulary import load_vocabulary

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\U00010000-\U0010ffff]")

LEVEL_WORDS = {
    "emergency": "Emergency",
    "immediate": "Immediate evaluation",
    "urgent": "Urgent",
    "prompt": "See a doctor promptly",
    "see_doctor": "Book an appointment",
    "monitor": "Monitor",
    "self_care": "Self-care",
}


@dataclass
class ReportData:
    name: str | None
    summary: Summary
    patterns: list[Pattern]
    generated: datetime  # local
    summary_png: bytes
    timeline_png: bytes
    triage: list[dict] = field(default_factory=list)  # export shape: {at, level, reasons: [{source, text}]}
    plan: dict | None = None  # {"status", "started", "checkin_days"}


def clean(text: str) -> str:
    return _UNPRINTABLE.sub("?", text)


def _font_path() -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


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

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 13)
        pdf.cell(0, 8, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)

    def para(text: str) -> None:
        pdf.multi_cell(width, 5, clean(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("DejaVu", "B", 17)
    title = f"Twitch journal: {d.name}" if d.name else "Twitch journal"
    pdf.cell(0, 10, clean(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    para(
        f"Period: {s.period.label()} ({s.period.days} days). Made {d.generated:%d %b %Y %H:%M} "
        f"({d.generated.tzname()}). Kept by the person with the Flicker app; self-reported, not a diagnosis."
    )

    heading("At a glance")
    rate = f"{s.count} twitches logged, {s.per_day_rate:.1f} a day; previous {s.period.days} days: {s.previous_count}."
    para(rate)
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
            para(
                f"{t.get('at', '')[:16].replace('T', ' ')}: {LEVEL_WORDS.get(t.get('level'), t.get('level'))}"
                f" ({t.get('level')}).{action} Why: {reasons}"
            )
            for m in t.get("mismatches", []):
                para(f"  {m}")
        facts = load_facts()
        heading("Sources of the triage results")
        for n, fid in enumerate(refs.ids, 1):
            f = facts.get(fid)
            para(f"[{n}] {fid} {f.title}: {f.text} (Source: {f.origin}.)" if f else f"[{n}] {fid}")
    else:
        para("No triage questionnaire answered yet.")

    pdf.image(io.BytesIO(d.summary_png), w=width * 0.72, x=pdf.l_margin + width * 0.14)
    heading("Body areas over time")
    pdf.image(io.BytesIO(d.timeline_png), w=width)
    for line in timeline_lines(s)[1:]:
        para(line.strip())

    if d.patterns:
        heading("Patterns (days compared; not causes)")
        for p in d.patterns:
            para("- " + p.sentence())

    heading("Self-care plan")
    if d.plan:
        para(
            f"Plan {d.plan.get('status', 'unknown')}, started {d.plan.get('started', '?')}; "
            f"daily check-ins answered on {d.plan.get('checkin_days', 0)} days."
        )
    else:
        para("No self-care plan started.")

    heading("Twitches (newest first)")
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
        for n in sorted(s.notes, key=lambda e: e.occurred_at, reverse=True)[:40]:
            para(f"{n.local_time:%d %b %H:%M}  {n.text}")
    else:
        para("No notes in this period.")
    return bytes(pdf.output())
