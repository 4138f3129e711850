"""The handler table: every flow module the engine serves, in one explicit list.

Order matters only for FREE_TEXT priorities that tie.
"""

from handlers import help, journal, log, plan, privacy, reminder_messages, reminders, start

MODULES = (start, log, journal, privacy, help, reminders, reminder_messages, plan)
