"""Working groups formed from join declarations sent by a deadline, with members, a discussion and a road map."""
