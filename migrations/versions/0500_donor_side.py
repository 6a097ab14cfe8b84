"""The donor's side: a short reference per gift, the address in parts, how receipts are sent.

Revision ID: 0500_donor_side
Revises: 0600_staff_second_factor

donation.reference (QF-XXXX-XXXX) is backfilled for gifts already on file;
the address parts of existing donors stay empty (their whole address is kept
in donor.address, which receipts print).
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0500_donor_side"
down_revision = "0200_money_in"
branch_labels = None
depends_on = None

# The alphabet of fund.giving.reference, copied: a migration must not change with the code.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"


def _reference(taken):
    while True:
        chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
        ref = f"QF-{chars[:4]}-{chars[4:]}"
        if ref not in taken:
            taken.add(ref)
            return ref


def upgrade():
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=12), nullable=True))
    bind = op.get_bind()
    donation = sa.table("donation", sa.column("id", sa.Integer), sa.column("reference", sa.String))
    taken = set()
    ids = [row[0] for row in bind.execute(sa.select(donation.c.id))]
    for donation_id in ids:
        bind.execute(donation.update().where(donation.c.id == donation_id)
                     .values(reference=_reference(taken)))
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.alter_column("reference", existing_type=sa.String(length=12), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_donation_reference"), ["reference"])

    with op.batch_alter_table("donor", schema=None) as batch_op:
        for name, length in (("prefecture", 16), ("city", 200), ("street", 200),
                             ("building", 200)):
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False,
                                          server_default=""))
        batch_op.add_column(sa.Column("receipt_delivery", sa.String(length=8), nullable=False,
                                      server_default="email"))
        batch_op.create_check_constraint(batch_op.f("ck_donor_receipt_delivery"),
                                         "receipt_delivery IN ('email', 'post')")
    # The defaults served the existing rows; new rows get theirs from the models.
    with op.batch_alter_table("donor", schema=None) as batch_op:
        for name in ("prefecture", "city", "street", "building", "receipt_delivery"):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_donor_receipt_delivery"), type_="check")
        for name in ("receipt_delivery", "building", "street", "city", "prefecture"):
            batch_op.drop_column(name)
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_donation_reference"), type_="unique")
        batch_op.drop_column("reference")
