"""Shared test helpers, imported from their modules (none is a fixture, so no test needs `conftest`
for them):

- `sending.RecordingSender`: a platform sender that records what the bot sends on its own.
- `scheduling.run_to`: move a FrozenClock to a time with the reminder scheduler ticking.
- `driver`: the `Driver` protocol (`send`, `press`, `fire_reminders`, `texts`, `buttons`,
  `attachments`) and the `Step` a person sees after each action.
- `console_driver`, `telegram_driver`, `discord_driver`: one driver per platform, each on the
  real adapter (the console loop in-process; python-telegram-bot and discord.py against the
  loopback fakes).
- `harness.open_harness(platform, tmp_path)`: store, clock, engine, scheduler and adapter for one
  test, with `person(n)` giving a driver.
"""
