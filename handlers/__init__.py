"""The handler table: every flow module the engine serves, in one explicit list.

The order is the order of /help and of the platforms' command menus; FREE_TEXT handlers run
by their own priority.
"""

from handlers import (
    chat,
    help,
    journal,
    link,
    log,
    plan,
    privacy,
    reminder_messages,
    reminders,
    start,
    summary,
    triage,
)

MODULES = (start, log, journal, triage, summary, plan, reminders, reminder_messages, link, privacy, help, chat)
