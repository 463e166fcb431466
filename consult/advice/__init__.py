"""Advice from the support centre: requests, a private thread with the advisors, closing and rating."""
