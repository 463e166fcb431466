"""Browser tests: Playwright on Debian Chromium against the live app, axe-core for accessibility."""
