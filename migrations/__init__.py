"""Numbered SQL migrations, applied in order at start (shipped as package data)."""
