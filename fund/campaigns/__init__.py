"""Campaigns (crowdfundings) and projects: where money is meant to go."""
