"""Payments through Stripe: attempts, refunds, disputes, webhooks and repair (stripe-sync)."""
