"""The cockpit (驾驶舱): the city at a glance for the command centre.

Reads only: the brain's 14 scenario domains with their headline indicators against
thresholds (``tiles``), the pillars' headline figures and trends (``figures``), the
district choropleth with drill-down to streets and grid cells (``areas``) and the live
alert and case feed tailed from the outbox (``feed``). Pages: ``portal/cockpit.py``.
"""
