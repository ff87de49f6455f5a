"""Contact rotation: cadence rules, visit schedules, calendars out, seasons.

- ``cadence``: rules per territory, tier, stage and channel; which rule
  applies to an account and why (inherited down the hierarchy);
- ``needs``: tiers from net profit, stages, rules turned into contact needs,
  CRM activities turned into done contacts;
- ``planner.plan_schedule``: one rep's contacts over up to 13 weeks, visits
  packed into day tours, with compliance, stretch and shortfalls
  (``model`` in, ``result`` out; the rest of the modules are its parts);
- ``ics.schedule_ics``: the schedule as an RFC 5545 calendar;
- ``seasonality``: slow and busy months from won deals, goals by month, pace.

Nothing is imported here, so importing one module stays cheap.
"""
