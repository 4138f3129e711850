"""Shared test helpers: one recording sender, one `run_to`, and a driver per platform that talks
to Flicker the way a person does on it (console, Telegram fake, Discord fake).

Import from the submodules (`tests.support.sending`, `tests.support.scheduling`,
`tests.support.drivers`); nothing here is a pytest fixture, so any test module can use them
without going through `conftest`.
"""
