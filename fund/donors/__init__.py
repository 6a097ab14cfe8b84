"""Donors: the people and companies who give, known once."""
