"""Insights: statistics, patterns, charts and the doctor's report, all computed from plain data."""
