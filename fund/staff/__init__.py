"""Staff accounts and their roles (admin, office, accountant)."""
