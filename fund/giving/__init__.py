"""Giving: a gift by any method, its settlement, monthly pledges and campaign totals."""
