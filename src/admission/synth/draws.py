"""Random draws shared by the builders, and the short name of the many literal dates."""

from __future__ import annotations

import datetime as dt
import random

D = dt.date


def rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))
