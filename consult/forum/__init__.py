"""The forum's front page: networks, working groups collecting declarations, meetings ahead, rooms on offer."""
