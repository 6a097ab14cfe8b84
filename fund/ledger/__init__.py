"""The fund's double-entry ledger (LEDGER.md; the API is in ARCHITECTURE.md, "The ledger's API").

- `models`: Account (money held: stripe, bank:<name>, cash; funds: fund:general,
  fund:campaign:<slug>, fund:project:<slug>), Entry and Line (append-only), the kept
  DayTotal and MonthTotal rows.
- `accounts`: accounts by code, made on first use; `for_donation` is the fund of a
  gift's designation.
- `posting`: `post(key=, category=, lines=[Dr(...), Cr(...)], actor=, effective_date=,
  source=, memo=)`, the one way to book (idempotent by key, balanced, no overdraft,
  never commits) and `post_reversal`.
- `bookings`: what each money event books (gift, fee, refund, dispute, payout) and the
  receivers of fund.payments' signals.
- `balances`: balances at a date and fiscal years.
- `allocations`, `spends`, `reversals`: what the office does with the money
  (allocate to a project, record a project's spending, undo an entry), each a
  service that commits; `approval` is their request-and-approve rule
  (LEDGER_APPROVAL_THRESHOLD).

Booking an offline gift (bank transfer to the institute or cash), inside the service
that records it:

    post(key=f"offline_gift:{row.id}", category=Category.GIFT,
         lines=[Dr(accounts.bank("main"), amount), Cr(accounts.for_donation(donation), amount)],
         effective_date=date_received, actor=actor, source=row, memo=...)

(or `bookings.book_gift(payment, asset=accounts.bank("main"), actor=actor)` when the gift
is a Payment row). A payout: `bookings.book_payout(payout_id="po_…", amount=, arrival_date=,
actor=)`. A fee found in a balance transaction: `bookings.book_fee(payment, fee=txn.fee,
actor=)`, the same entry the settlement signal books.
"""
