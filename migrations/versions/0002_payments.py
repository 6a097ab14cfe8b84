"""payments: refunds and disputes as their own rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=64), nullable=True),
    sa.Column('failure_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('created', 'pending', 'requires_action', 'succeeded', 'failed', 'canceled')", name=op.f('ck_refund_state')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refund_amount_positive')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_refund_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('stripe_refund_id', name=op.f('uq_refund_stripe_refund_id'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_payment_id'), ['payment_id'], unique=False)

    op.create_table('dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('stripe_dispute_id', sa.String(length=64), nullable=False),
    sa.Column('stripe_status', sa.String(length=32), nullable=False),
    sa.Column('evidence_due_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('needs_response', 'under_review', 'won', 'lost')", name=op.f('ck_dispute_state')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_dispute_amount_positive')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_dispute_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute')),
    sa.UniqueConstraint('stripe_dispute_id', name=op.f('uq_dispute_stripe_dispute_id'))
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_payment_id'), ['payment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_payment_id'))
    op.drop_table('dispute')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_payment_id'))
    op.drop_table('refund')
