"""Signals of the working-day calendar."""

from django.dispatch import Signal

# Sent inside the transaction that set or removed an override, with ``day`` (a date): what
# was computed in working time across that day (deadlines already stored are kept; figures
# of reply times are recomputed by the statistics) may change.
calendar_changed = Signal()
