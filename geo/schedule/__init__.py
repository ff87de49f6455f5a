"""Contact rotation: cadence rules, visit schedules, calendars out, seasons.

``cadence`` resolves which rule applies to an account (and why);
``planner.plan_schedule`` lays one rep's contacts over up to 13 weeks;
``ics`` writes the schedule as an RFC 5545 calendar; ``seasonality`` finds
slow and busy months from won deals.
"""
