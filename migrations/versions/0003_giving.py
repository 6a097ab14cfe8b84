"""giving: pledges (monthly giving), their invoices, konbini/bank transfer instructions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pledge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('designation', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('wants_receipt', sa.Boolean(), nullable=False),
    sa.Column('publish_name', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=64), nullable=True),
    sa.Column('stripe_subscription_id', sa.String(length=64), nullable=True),
    sa.Column('failure_message', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('canceled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pledge_amount_positive')),
    sa.CheckConstraint("status IN ('pending', 'active', 'past_due', 'canceled', 'failed')", name=op.f('ck_pledge_status')),
    sa.CheckConstraint("designation IN ('general', 'project')", name=op.f('ck_pledge_designation')),
    sa.CheckConstraint("(designation = 'general' AND project_id IS NULL) OR (designation = 'project' AND project_id IS NOT NULL)", name=op.f('ck_pledge_designation_target')),
    sa.ForeignKeyConstraint(['donor_id'], ['donor.id'], name=op.f('fk_pledge_donor_id_donor')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_pledge_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge')),
    sa.UniqueConstraint('stripe_subscription_id', name=op.f('uq_pledge_stripe_subscription_id'))
    )
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pledge_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_donation_pledge_id'), ['pledge_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_donation_pledge_id_pledge'), 'pledge', ['pledge_id'], ['id'])

    op.create_table('pledge_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('stripe_invoice_id', sa.String(length=64), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_pledge_invoice_donation_id_donation')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_pledge_invoice_pledge_id_pledge')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_invoice')),
    sa.UniqueConstraint('donation_id', name=op.f('uq_pledge_invoice_donation_id')),
    sa.UniqueConstraint('stripe_invoice_id', name=op.f('uq_pledge_invoice_stripe_invoice_id'))
    )
    with op.batch_alter_table('pledge_invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_invoice_pledge_id'), ['pledge_id'], unique=False)

    op.create_table('payment_instructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hosted_url', sa.String(length=500), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('konbini', 'bank_transfer')", name=op.f('ck_payment_instructions_method')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_instructions_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_instructions')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_payment_instructions_payment_id'))
    )
    with op.batch_alter_table('payment_instructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_instructions_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_instructions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_instructions_expires_at'))
    op.drop_table('payment_instructions')
    with op.batch_alter_table('pledge_invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_invoice_pledge_id'))
    op.drop_table('pledge_invoice')
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_donation_pledge_id_pledge'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_donation_pledge_id'))
        batch_op.drop_column('pledge_id')
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_project_id'))
        batch_op.drop_index(batch_op.f('ix_pledge_donor_id'))
    op.drop_table('pledge')
