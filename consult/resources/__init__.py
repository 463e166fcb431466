"""Rooms and equipment that organisations lend each other, and the bookings that reserve them."""
