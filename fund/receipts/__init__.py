"""Receipts (寄附金受領証明書): issuing, void and reissue, annual summaries, bulk work, PDF."""
