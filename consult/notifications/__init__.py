"""What each person is told, and when: settings per kind, immediate mail, weekly digests, one-click unsubscribe."""
