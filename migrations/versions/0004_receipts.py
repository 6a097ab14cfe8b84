"""receipts: void/reissue, annual summaries, jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_seal', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('void_sha256', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_receipt_received_on', ['received_on'], unique=False)
        batch_op.create_index(
            'uq_receipt_valid_annual', ['donor_id', 'year'], unique=True,
            sqlite_where=sa.text("kind = 'annual' AND status = 'valid'"),
            postgresql_where=sa.text("kind = 'annual' AND status = 'valid'"))

    op.create_table('receipt_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('result_path', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('issue_year', 'export', 'annual')", name=op.f('ck_receipt_job_kind')),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_receipt_job_state')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_receipt_job_created_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_job'))
    )


def downgrade():
    op.drop_table('receipt_job')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('uq_receipt_valid_annual',
                            sqlite_where=sa.text("kind = 'annual' AND status = 'valid'"),
                            postgresql_where=sa.text("kind = 'annual' AND status = 'valid'"))
        batch_op.drop_index('ix_receipt_received_on')
        batch_op.drop_column('void_sha256')
        batch_op.drop_column('issuer_seal')
