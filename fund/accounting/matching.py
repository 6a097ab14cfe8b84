"""What a deposit on the bank statement probably is: suggestions for a person to confirm.

A deposit is compared with what is still waiting for its money on that bank
account, always by the exact amount:
- an offline gift the office recorded (received within `GIFT_DAYS` of the
  line), named in the 振込名義 or the donor's フリガナ;
- a pledge instalment not yet received (due within `INSTALMENT_DAYS`), named in
  the pledge's 振込名義 or the donor's フリガナ;
- a Stripe payout (arriving within `PAYOUT_DAYS`), by amount and date only:
  the name a bank prints for Stripe is never relied on.
Names are compared with fund.core.kana (NFKC, small kana, legal forms). The
candidates are read once per call and indexed by amount, so ten thousand
lines are matched in one pass.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import selectinload

from fund.accounting import payouts
from fund.accounting.models import BankLine, StripePayout
from fund.core import kana
from fund.core.extensions import db
from fund.giving.models import AgreementStatus, Instalment, OfflineGift, PledgeAgreement
from fund.giving.models import Donation
from fund.payments.models import Payment, PaymentState

GIFT_DAYS = 7
INSTALMENT_DAYS = 60
PAYOUT_DAYS = (-2, 5)  # the bank books a payout up to 2 days before, 5 after its arrival date
LIMIT = 5


@dataclass(frozen=True)
class Suggestion:
    kind: str        # gift, instalment or payout
    target_id: int   # Payment, Instalment or StripePayout id
    score: int
    on: date
    amount: int
    label: str
    name_match: int  # 2 the same name, 1 one contains the other, 0 no name evidence


def _window(lines, before, after):
    days = [line.booked_on for line in lines]
    return min(days) - timedelta(days=before), max(days) + timedelta(days=after)


def _gifts(lines, amounts, codes):
    start, end = _window(lines, GIFT_DAYS, GIFT_DAYS)
    linked = db.select(BankLine.payment_id).where(BankLine.payment_id.is_not(None))
    rows = db.session.execute(
        db.select(OfflineGift).join(Payment, Payment.id == OfflineGift.payment_id)
        .where(OfflineGift.method == "direct_transfer", OfflineGift.money_account.in_(codes),
               OfflineGift.received_on.between(start, end), Payment.amount.in_(amounts),
               Payment.state == PaymentState.SUCCEEDED, Payment.id.not_in(linked))
        .options(selectinload(OfflineGift.payment).selectinload(Payment.donation)
                 .selectinload(Donation.donor))).scalars().all()
    index = defaultdict(list)
    for gift in rows:
        index[(gift.money_account, gift.payment.amount)].append(gift)
    return index


def _instalments(lines, amounts):
    start, end = _window(lines, INSTALMENT_DAYS, INSTALMENT_DAYS)
    received = db.select(OfflineGift.instalment_id).where(OfflineGift.instalment_id.is_not(None))
    rows = db.session.execute(
        db.select(Instalment).join(PledgeAgreement)
        .where(PledgeAgreement.status == AgreementStatus.ACTIVE.value,
               PledgeAgreement.expected_method == "direct_transfer",
               Instalment.due_on.between(start, end), Instalment.amount.in_(amounts),
               Instalment.id.not_in(received))
        .options(selectinload(Instalment.agreement).selectinload(PledgeAgreement.donor))
    ).scalars().all()
    index = defaultdict(list)
    for instalment in rows:
        index[instalment.amount].append(instalment)
    return index


def _payouts(lines, amounts):
    start, end = _window(lines, -PAYOUT_DAYS[0], PAYOUT_DAYS[1])
    linked = db.select(BankLine.payout_id).where(BankLine.payout_id.is_not(None))
    rows = db.session.execute(
        db.select(StripePayout).where(StripePayout.amount.in_(amounts),
                                      StripePayout.arrival_on.between(start, end),
                                      StripePayout.id.not_in(linked))).scalars().all()
    index = defaultdict(list)
    for payout in rows:
        index[payout.amount].append(payout)
    return index


def _name_score(payer, *names):
    return max((kana.compare(payer, name) for name in names if name), default=0)


def suggest(lines):
    """{line id: [Suggestion, best first]} for the open deposits among `lines`."""
    lines = [line for line in lines if line.state == "unmatched"]
    result = {line.id: [] for line in lines}
    deposits = [line for line in lines if line.deposit > 0]
    if not lines:
        return result
    amounts = sorted({line.deposit for line in deposits} | {-line.withdrawal for line in lines
                                                            if line.withdrawal})
    codes = sorted({line.bank_account.ledger_account for line in lines})
    gifts = _gifts(lines, amounts, codes) if deposits else {}
    instalments = _instalments(lines, amounts) if deposits else {}
    payout_index = _payouts(lines, amounts)
    payout_bank = payouts.bank_code()
    for line in lines:
        options = []
        code = line.bank_account.ledger_account
        amount = line.deposit or -line.withdrawal
        for gift in gifts.get((code, amount), ()) if line.deposit else ():
            days = abs((line.booked_on - gift.received_on).days)
            if days > GIFT_DAYS:
                continue
            donor = gift.payment.donation.donor
            names = _name_score(line.payer, gift.transfer_name, donor.name_kana)
            options.append(Suggestion("gift", gift.payment_id, 60 - 3 * days + 20 * names,
                                      gift.received_on, amount, donor.receipt_name, names))
        for instalment in instalments.get(amount, ()) if line.deposit else ():
            days = abs((line.booked_on - instalment.due_on).days)
            if days > INSTALMENT_DAYS:
                continue
            agreement = instalment.agreement
            names = _name_score(line.payer, agreement.transfer_name, agreement.donor.name_kana)
            options.append(Suggestion("instalment", instalment.id, 40 - days // 3 + 20 * names,
                                      instalment.due_on, amount,
                                      agreement.donor.receipt_name, names))
        if code == payout_bank:
            for payout in payout_index.get(amount, ()):
                offset = (line.booked_on - payout.arrival_on).days
                if PAYOUT_DAYS[0] <= offset <= PAYOUT_DAYS[1]:
                    options.append(Suggestion("payout", payout.id, 55 - 3 * abs(offset),
                                              payout.arrival_on, amount,
                                              payout.stripe_payout_id, 0))
        options.sort(key=lambda s: (-s.score, s.kind, s.target_id))
        result[line.id] = options[:LIMIT]
    return result
