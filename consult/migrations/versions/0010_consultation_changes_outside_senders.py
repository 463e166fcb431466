"""the official's desk: a published consultation's changes and cancellation, Word files kept across a failed form,
and comments entered for people and groups without an account

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 08:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=False, server_default=''))
    op.create_table('consultation_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('changes', sa.Text(), server_default='[]', nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_change_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_consultation_change_changed_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_change'))
    )
    with op.batch_alter_table('consultation_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_change_consultation_id'), ['consultation_id'], unique=False)
    op.create_table('pending_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_pending_upload_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_upload')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_upload_token'))
    )
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_upload_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sender_address', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sender_salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('sender_salt')
        batch_op.drop_column('sender_address')
        batch_op.drop_column('sender_name')
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_upload_user_id'))
    op.drop_table('pending_upload')
    with op.batch_alter_table('consultation_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_change_consultation_id'))
    op.drop_table('consultation_change')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
