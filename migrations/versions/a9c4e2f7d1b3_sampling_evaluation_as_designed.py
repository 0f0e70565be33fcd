"""sampling: evaluation as designed, attributes per item, site populations, interpretation and sign-off

A sample lists the attributes its items are tested against (A1, A2, …) and keeps its evaluation per attribute
(and per stratum); a population can be marked as the organisation's sites (the only populations the IAF MD 1 site
rule is offered for); the auditor's reading of the deviations (cause, isolated or systemic) and the lead auditor's
sign-off are recorded. A sample item keeps a result per attribute.

Items recorded as "not_testable" before this revision were replaced from the seeded stream (or, in judgemental and
whole-population samples, left out): they become "void" (void or outside the population), which is what they were
treated as; from now on "not_testable" means an item that could not be examined, which counts as a deviation.

Written so that SQLite never copies a table on upgrade (columns added with ALTER TABLE, foreign keys inline).

Revision ID: a9c4e2f7d1b3
Revises: c4a7e2d91b05
Create Date: 2026-12-07 19:50:00

"""
from alembic import op
import sqlalchemy as sa

import audit_app.models.base


# revision identifiers, used by Alembic.
revision = 'a9c4e2f7d1b3'
down_revision = 'c4a7e2d91b05'
branch_labels = None
depends_on = None

USERS = ('interpreted_by_id', 'signed_off_by_id')


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.add_column('sample', sa.Column('attributes', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('sample', sa.Column('population_is_sites', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('sample', sa.Column('evaluation', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('sample', sa.Column('deviation_cause', sa.Text(), server_default='', nullable=False))
    op.add_column('sample', sa.Column('deviation_nature', sa.Enum('isolated', 'systemic', name='deviationnature', native_enum=False, create_constraint=False, length=32), nullable=True))
    op.add_column('sample', sa.Column('interpreted_at', audit_app.models.base.UTCDateTime(), nullable=True))
    op.add_column('sample', sa.Column('signed_off_at', audit_app.models.base.UTCDateTime(), nullable=True))
    for column in USERS:
        if sqlite:
            op.execute(f'ALTER TABLE sample ADD COLUMN {column} INTEGER REFERENCES "user" (id)')
        else:
            op.add_column('sample', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(f'fk_sample_{column}_user'), 'sample', 'user', [column], ['id'])
    op.add_column('sample_item', sa.Column('attribute_results', sa.JSON(), server_default='{}', nullable=False))
    op.execute("UPDATE sample_item SET result = 'void' WHERE result = 'not_testable'")


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # Dropping a column with a foreign key copies the table on SQLite; `sample` is referenced by the items, so
        # foreign keys are off while it is copied (first statement: no transaction is open yet).
        op.execute('PRAGMA foreign_keys=OFF')
    op.execute("UPDATE sample_item SET result = 'not_testable' WHERE result = 'void'")
    op.drop_column('sample_item', 'attribute_results')
    columns = (
        *USERS, 'signed_off_at', 'interpreted_at', 'deviation_nature', 'deviation_cause', 'evaluation',
        'population_is_sites', 'attributes',
    )
    if sqlite:
        with op.batch_alter_table('sample', schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
        op.execute('PRAGMA foreign_keys=ON')
    else:
        for column in USERS:
            op.drop_constraint(op.f(f'fk_sample_{column}_user'), 'sample', type_='foreignkey')
        for column in columns:
            op.drop_column('sample', column)
