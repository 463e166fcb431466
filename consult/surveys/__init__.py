"""Surveys: questionnaires for organisations, signed-in people or anyone, their answers and results."""
