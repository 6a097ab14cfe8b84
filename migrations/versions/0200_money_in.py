"""Money that did not come through Stripe, bank statements, Stripe reconciliation, the journal.

Offline gifts and corporate pledge agreements (giving); bank accounts, statements and
their lines, Stripe payouts and balance transactions, the imports, the mapping to
勘定科目 and the journal exports (accounting).

Revision ID: 0200_money_in
Revises: 0100_ledger
"""
import sqlalchemy as sa
from alembic import op

revision = '0200_money_in'
down_revision = '0401_office_facts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('account', sa.String(length=60), nullable=False),
    sa.Column('sub_account', sa.String(length=60), nullable=False),
    sa.Column('tax', sa.String(length=30), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_mapping')),
    sa.UniqueConstraint('key', name=op.f('uq_account_mapping_key'))
    )
    op.create_table('bank_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_account')),
    sa.UniqueConstraint('slug', name=op.f('uq_bank_account_slug'))
    )
    op.create_table('bank_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=True),
    sa.Column('last_on', sa.Date(), nullable=True),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_account.id'], name=op.f('fk_bank_statement_bank_account_id_bank_account')),
    sa.ForeignKeyConstraint(['imported_by'], ['staff_user.id'], name=op.f('fk_bank_statement_imported_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statement')),
    sa.UniqueConstraint('sha256', name=op.f('uq_bank_statement_sha256'))
    )
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statement_bank_account_id'), ['bank_account_id'], unique=False)

    op.create_table('journal_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('replaced', sa.Integer(), nullable=False),
    sa.Column('exported_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("format IN ('plain', 'yayoi')", name=op.f('ck_journal_export_format')),
    sa.ForeignKeyConstraint(['exported_by'], ['staff_user.id'], name=op.f('fk_journal_export_exported_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_export'))
    )
    op.create_table('stripe_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('api', 'report')", name=op.f('ck_stripe_import_source')),
    sa.ForeignKeyConstraint(['imported_by'], ['staff_user.id'], name=op.f('fk_stripe_import_imported_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_import')),
    sa.UniqueConstraint('sha256', name=op.f('uq_stripe_import_sha256'))
    )
    op.create_table('stripe_payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_payout_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('stripe_status', sa.String(length=32), nullable=False),
    sa.Column('arrival_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reconciled_by', sa.Integer(), nullable=True),
    sa.Column('reconciled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('open', 'reconciled')", name=op.f('ck_stripe_payout_state')),
    sa.ForeignKeyConstraint(['reconciled_by'], ['staff_user.id'], name=op.f('fk_stripe_payout_reconciled_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_payout')),
    sa.UniqueConstraint('stripe_payout_id', name=op.f('uq_stripe_payout_stripe_payout_id'))
    )
    op.create_table('pledge_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('designation', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('expected_method', sa.String(length=16), nullable=False),
    sa.Column('transfer_name', sa.String(length=200), nullable=False),
    sa.Column('transfer_key', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("designation IN ('general', 'campaign', 'project')", name=op.f('ck_pledge_agreement_designation')),
    sa.CheckConstraint("expected_method IN ('direct_transfer', 'cash')", name=op.f('ck_pledge_agreement_expected_method')),
    sa.CheckConstraint("status IN ('active', 'completed', 'canceled')", name=op.f('ck_pledge_agreement_status')),
    sa.CheckConstraint('total > 0', name=op.f('ck_pledge_agreement_total_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_pledge_agreement_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_pledge_agreement_created_by_staff_user')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_pledge_agreement_donor_id_donor')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_pledge_agreement_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_agreement'))
    )
    with op.batch_alter_table('pledge_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_agreement_donor_id'), ['donor_id'], unique=False)

    op.create_table('instalment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_instalment_amount_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['pledge_agreement.id'], name=op.f('fk_instalment_agreement_id_pledge_agreement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instalment')),
    sa.UniqueConstraint('agreement_id', 'number', name='uq_instalment_number')
    )
    with op.batch_alter_table('instalment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instalment_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instalment_due_on'), ['due_on'], unique=False)

    op.create_table('bank_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('payer', sa.String(length=200), nullable=False),
    sa.Column('payer_key', sa.String(length=200), nullable=False),
    sa.Column('deposit', sa.BigInteger(), nullable=False),
    sa.Column('withdrawal', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('match_kind', sa.String(length=16), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.String(length=500), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(state = 'matched' AND ((match_kind = 'gift' AND payment_id IS NOT NULL) OR (match_kind = 'payout' AND payout_id IS NOT NULL))) OR (state = 'dismissed' AND dismiss_reason IS NOT NULL) OR (state = 'unmatched' AND payment_id IS NULL AND payout_id IS NULL)", name=op.f('ck_bank_line_decision')),
    sa.CheckConstraint("state IN ('unmatched', 'matched', 'dismissed')", name=op.f('ck_bank_line_state')),
    sa.CheckConstraint('deposit >= 0 AND withdrawal >= 0', name=op.f('ck_bank_line_amounts_not_negative')),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_account.id'], name=op.f('fk_bank_line_bank_account_id_bank_account')),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], name=op.f('fk_bank_line_decided_by_staff_user')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_bank_line_payment_id_payment')),
    sa.ForeignKeyConstraint(['payout_id'], ['stripe_payout.id'], name=op.f('fk_bank_line_payout_id_stripe_payout')),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statement.id'], name=op.f('fk_bank_line_statement_id_bank_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_line')),
    sa.UniqueConstraint('bank_account_id', 'fingerprint', name='uq_bank_line_fingerprint'),
    sa.UniqueConstraint('payment_id', name=op.f('uq_bank_line_payment_id')),
    sa.UniqueConstraint('payout_id', name=op.f('uq_bank_line_payout_id'))
    )
    with op.batch_alter_table('bank_line', schema=None) as batch_op:
        batch_op.create_index('ix_bank_line_open', ['state', 'bank_account_id', 'booked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_line_statement_id'), ['statement_id'], unique=False)

    op.create_table('offline_gift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('money_account', sa.String(length=80), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('transfer_name', sa.String(length=200), nullable=False),
    sa.Column('transfer_key', sa.String(length=200), nullable=False),
    sa.Column('paper_form', sa.Boolean(), nullable=False),
    sa.Column('form_reference', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('instalment_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('direct_transfer', 'cash')", name=op.f('ck_offline_gift_method')),
    sa.ForeignKeyConstraint(['instalment_id'], ['instalment.id'], name=op.f('fk_offline_gift_instalment_id_instalment')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_offline_gift_payment_id_payment')),
    sa.ForeignKeyConstraint(['recorded_by'], ['staff_user.id'], name=op.f('fk_offline_gift_recorded_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_gift')),
    sa.UniqueConstraint('instalment_id', name=op.f('uq_offline_gift_instalment_id')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_offline_gift_payment_id'))
    )
    with op.batch_alter_table('offline_gift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_gift_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_gift_transfer_key'), ['transfer_key'], unique=False)

    op.create_table('stripe_txn',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_txn_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('reporting_category', sa.String(length=48), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('available_on', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('dispute_id', sa.Integer(), nullable=True),
    sa.Column('match', sa.String(length=16), nullable=False),
    sa.Column('difference', sa.String(length=300), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("match IN ('matched', 'differs', 'unknown', 'payout')", name=op.f('ck_stripe_txn_match')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_stripe_txn_dispute_id_dispute')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_stripe_txn_payment_id_payment')),
    sa.ForeignKeyConstraint(['payout_id'], ['stripe_payout.id'], name=op.f('fk_stripe_txn_payout_id_stripe_payout')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_stripe_txn_refund_id_refund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_txn')),
    sa.UniqueConstraint('stripe_txn_id', name=op.f('uq_stripe_txn_stripe_txn_id'))
    )
    with op.batch_alter_table('stripe_txn', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_txn_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_txn_dispute_id'), ['dispute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_txn_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_txn_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_txn_refund_id'), ['refund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_txn_source_id'), ['source_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stripe_txn', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_txn_source_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_txn_refund_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_txn_payout_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_txn_payment_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_txn_dispute_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_txn_created'))

    op.drop_table('stripe_txn')
    with op.batch_alter_table('offline_gift', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_gift_transfer_key'))
        batch_op.drop_index(batch_op.f('ix_offline_gift_received_on'))

    op.drop_table('offline_gift')
    with op.batch_alter_table('bank_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_line_statement_id'))
        batch_op.drop_index('ix_bank_line_open')

    op.drop_table('bank_line')
    with op.batch_alter_table('instalment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instalment_due_on'))
        batch_op.drop_index(batch_op.f('ix_instalment_agreement_id'))

    op.drop_table('instalment')
    with op.batch_alter_table('pledge_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_agreement_donor_id'))

    op.drop_table('pledge_agreement')
    op.drop_table('stripe_payout')
    op.drop_table('stripe_import')
    op.drop_table('journal_export')
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_statement_bank_account_id'))

    op.drop_table('bank_statement')
    op.drop_table('bank_account')
    op.drop_table('account_mapping')
