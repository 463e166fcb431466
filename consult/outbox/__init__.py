"""The platform admin's view of the outbox: mail that failed for good, its error, and a retry."""
