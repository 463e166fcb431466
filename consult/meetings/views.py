"""Routes of the meetings feature: the pages (meeting_views), registration (registration_views), minutes
(minutes_views) and calendars (calendar_views). The .ics route comes before the meeting page, which would take
"forum.ics" for a slug."""

from __future__ import annotations

from consult.meetings import calendar_views, meeting_views, minutes_views, registration_views

routes = [*calendar_views.routes, *meeting_views.routes, *registration_views.routes, *minutes_views.routes]
