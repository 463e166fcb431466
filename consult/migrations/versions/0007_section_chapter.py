"""section chapter: the chapter (Rozdział) a section of a resolution belongs to

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('chapter', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default='')
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.drop_column('chapter')
