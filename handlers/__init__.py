"""The handler table: every flow module the engine serves, in one explicit list.

The order is the order of /help and of the platforms' command menus; FREE_TEXT handlers run
by their own priority.
"""

from handlers import (
    appointment,
    chat,
    help,
    journal,
    link,
    log,
    plan,
    privacy,
    reassurance,
    reminder_messages,
    reminders,
    safety,
    sources,
    start,
    summary,
    triage,
)

MODULES = (
    safety,
    start,
    log,
    journal,
    triage,
    reassurance,
    sources,
    summary,
    appointment,
    plan,
    reminders,
    reminder_messages,
    link,
    privacy,
    help,
    chat,
)
