"""Networks of organisations across municipalities: a charter, coordinators, members admitted, a members' discussion."""
