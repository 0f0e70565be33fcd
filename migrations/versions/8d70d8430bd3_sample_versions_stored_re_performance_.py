"""sample versions, stored re-performance verdict, unique draw order and unit per sample

Samples and sample items get a version column (SQLAlchemy's version_id_col: of two requests changing the same
row at once only the first commits); a sample keeps its re-performance verdict with the population hash it was
computed from (checked at the draw and on demand, no longer on every view); a sample never holds one population
unit or one draw order twice (unique indexes). Existing samples start at version 1 with no verdict (shown as "not
checked yet").

Written so that SQLite never copies a table: `sample` is referenced by the items, and copying it (batch mode) with
foreign keys on fails as soon as a sample exists. Columns are added with ALTER TABLE, the foreign key of
reperformed_by_id inline with its column on SQLite (which cannot add a constraint to a table), and the uniqueness
rules are unique indexes, which every database creates in place.

Revision ID: 8d70d8430bd3
Revises: eab0d0e188a9
Create Date: 2026-12-07 17:20:50.258342

"""
from alembic import op
import sqlalchemy as sa

import audit_app.models.base


# revision identifiers, used by Alembic.
revision = '8d70d8430bd3'
down_revision = 'eab0d0e188a9'
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.add_column('sample', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('sample', sa.Column('reperformed', sa.Boolean(), nullable=True))
    op.add_column('sample', sa.Column('reperformed_sha256', sa.String(length=64), server_default='', nullable=False))
    op.add_column('sample', sa.Column('reperformed_at', audit_app.models.base.UTCDateTime(), nullable=True))
    if sqlite:
        op.execute('ALTER TABLE sample ADD COLUMN reperformed_by_id INTEGER REFERENCES "user" (id)')
    else:
        op.add_column('sample', sa.Column('reperformed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_sample_reperformed_by_id_user'), 'sample', 'user', ['reperformed_by_id'], ['id'])
    op.add_column('sample', sa.Column('reperform_problem', sa.Text(), server_default='', nullable=False))

    op.add_column('sample_item', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.create_index('uq_sample_item_sample_draw_order', 'sample_item', ['sample_id', 'draw_order'], unique=True)
    op.create_index(
        'uq_sample_item_sample_population_index', 'sample_item', ['sample_id', 'population_index'], unique=True
    )


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # SQLite drops a column that takes part in a foreign key only by copying the table, and copying `sample`
        # (referenced by the items) needs foreign keys off: this is the downgrade's first statement, so no
        # transaction is open yet and the pragma takes effect.
        op.execute('PRAGMA foreign_keys=OFF')
    op.drop_index('uq_sample_item_sample_population_index', table_name='sample_item')
    op.drop_index('uq_sample_item_sample_draw_order', table_name='sample_item')
    op.drop_column('sample_item', 'version')
    columns = ('reperform_problem', 'reperformed_by_id', 'reperformed_at', 'reperformed_sha256', 'reperformed', 'version')
    if sqlite:
        with op.batch_alter_table('sample', schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
        op.execute('PRAGMA foreign_keys=ON')
    else:
        op.drop_constraint(op.f('fk_sample_reperformed_by_id_user'), 'sample', type_='foreignkey')
        for column in columns:
            op.drop_column('sample', column)
