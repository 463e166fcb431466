"""Meetings, trainings, forums and congresses: registration within capacity, a waiting list, calendars, minutes."""
