"""donation.checkout_key: a resubmitted form resumes its donation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 16:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_donation_checkout_key'), ['checkout_key'])


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_donation_checkout_key'), type_='unique')
        batch_op.drop_column('checkout_key')
