"""Announcements and funding opportunities: posted to an audience, listed, in feeds, mailed by settings."""
