"""Base: the store's schema as it was when migrations began (schema_info version 2).

Every table of the roster, the evidence and what later layers compute. A database from
before migrations is completed to this schema and stamped here by ``Store.open``.

Revision ID: 0001_base
Revises: None
"""

import sqlalchemy as sa
from alembic import op

revision = '0001_base'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('academic_sessions',
    sa.Column('session_id', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('parent_id', sa.String(), nullable=True),
    sa.Column('school_year', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('session_id')
    )
    op.create_table('classes',
    sa.Column('class_id', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('grades', sa.String(), nullable=True),
    sa.Column('grade', sa.SmallInteger(), nullable=True),
    sa.Column('course_id', sa.String(), nullable=True),
    sa.Column('class_code', sa.String(), nullable=True),
    sa.Column('class_type', sa.String(length=32), nullable=True),
    sa.Column('location', sa.String(), nullable=True),
    sa.Column('school_id', sa.String(), nullable=True),
    sa.Column('term_ids', sa.String(), nullable=True),
    sa.Column('subjects', sa.String(), nullable=True),
    sa.Column('subject_codes', sa.String(), nullable=True),
    sa.Column('periods', sa.String(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('class_id')
    )
    op.create_index(op.f('ix_classes_course_id'), 'classes', ['course_id'], unique=False)
    op.create_index(op.f('ix_classes_school_id'), 'classes', ['school_id'], unique=False)
    op.create_table('courses',
    sa.Column('course_id', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('school_year_id', sa.String(), nullable=True),
    sa.Column('course_code', sa.String(), nullable=True),
    sa.Column('grades', sa.String(), nullable=True),
    sa.Column('grade', sa.SmallInteger(), nullable=True),
    sa.Column('org_id', sa.String(), nullable=True),
    sa.Column('subjects', sa.String(), nullable=True),
    sa.Column('subject_codes', sa.String(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('course_id')
    )
    op.create_index(op.f('ix_courses_org_id'), 'courses', ['org_id'], unique=False)
    op.create_table('demographics',
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('american_indian_or_alaska_native', sa.Boolean(), nullable=True),
    sa.Column('asian', sa.Boolean(), nullable=True),
    sa.Column('black_or_african_american', sa.Boolean(), nullable=True),
    sa.Column('native_hawaiian_or_other_pacific_islander', sa.Boolean(), nullable=True),
    sa.Column('white', sa.Boolean(), nullable=True),
    sa.Column('two_or_more_races', sa.Boolean(), nullable=True),
    sa.Column('hispanic_or_latino', sa.Boolean(), nullable=True),
    sa.Column('english_learner', sa.Boolean(), nullable=True),
    sa.Column('disability', sa.Boolean(), nullable=True),
    sa.Column('econ_disadvantaged', sa.Boolean(), nullable=True),
    sa.Column('country_of_birth', sa.String(), nullable=True),
    sa.Column('state_of_birth', sa.String(), nullable=True),
    sa.Column('city_of_birth', sa.String(), nullable=True),
    sa.Column('public_school_residence_status', sa.String(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('enrollments',
    sa.Column('enrollment_id', sa.String(), nullable=False),
    sa.Column('class_id', sa.String(), nullable=False),
    sa.Column('school_id', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('primary', sa.Boolean(), nullable=True),
    sa.Column('begin_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('enrollment_id')
    )
    op.create_index(op.f('ix_enrollments_class_id'), 'enrollments', ['class_id'], unique=False)
    op.create_index(op.f('ix_enrollments_user_id'), 'enrollments', ['user_id'], unique=False)
    op.create_table('family_signals',
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('signal', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('student_id', 'signal', 'date', 'source')
    )
    op.create_table('frameworks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(), nullable=True),
    sa.Column('identifier', sa.String(), nullable=True),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('imports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('interventions',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('intervention', sa.String(), nullable=False),
    sa.Column('standards', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_interventions_student_id'), 'interventions', ['student_id'],
                    unique=False)
    op.create_table('mastery',
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('model', sa.String(), nullable=False),
    sa.Column('standard_set', sa.String(length=40), nullable=False),
    sa.Column('n_standards', sa.Integer(), nullable=False),
    sa.Column('p_mastered', sa.LargeBinary(), nullable=False),
    sa.Column('sd', sa.LargeBinary(), nullable=False),
    sa.Column('n_evidence', sa.LargeBinary(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('student_id', 'model')
    )
    op.create_index('ix_mastery_model', 'mastery', ['model'], unique=False)
    op.create_table('mastery_standard_sets',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('codes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('orgs',
    sa.Column('org_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('identifier', sa.String(), nullable=True),
    sa.Column('parent_id', sa.String(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('org_id')
    )
    op.create_index(op.f('ix_orgs_parent_id'), 'orgs', ['parent_id'], unique=False)
    op.create_table('provider_assignments',
    sa.Column('provider_id', sa.String(), nullable=False),
    sa.Column('school_id', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('provider_id', 'school_id')
    )
    op.create_table('responses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('item_id', sa.String(), nullable=False),
    sa.Column('standard', sa.String(), nullable=False),
    sa.Column('correct', sa.SmallInteger(), nullable=False),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('student_id', 'item_id', 'timestamp', 'source', name='uq_responses_key')
    )
    op.create_index(op.f('ix_responses_standard'), 'responses', ['standard'], unique=False)
    op.create_table('roles',
    sa.Column('role_id', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('role_type', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.String(), nullable=False),
    sa.Column('user_profile_id', sa.String(), nullable=True),
    sa.Column('begin_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('role_id')
    )
    op.create_index(op.f('ix_roles_org_id'), 'roles', ['org_id'], unique=False)
    op.create_index(op.f('ix_roles_user_id'), 'roles', ['user_id'], unique=False)
    op.create_table('scale_scores',
    sa.Column('student_id', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('grade', sa.SmallInteger(), nullable=False),
    sa.Column('scale_score', sa.Float(), nullable=False),
    sa.Column('achievement_level', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('student_id', 'year', 'subject')
    )
    op.create_table('schema_info',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('scope_sequence',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(), nullable=True),
    sa.Column('grade', sa.SmallInteger(), nullable=False),
    sa.Column('unit_id', sa.String(), nullable=False),
    sa.Column('unit_title', sa.String(), nullable=True),
    sa.Column('standard', sa.String(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_scope_sequence_district_id'), 'scope_sequence', ['district_id'],
                    unique=False)
    op.create_table('users',
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('enabled_user', sa.Boolean(), nullable=True),
    sa.Column('username', sa.String(), nullable=True),
    sa.Column('user_ids', sa.String(), nullable=True),
    sa.Column('given_name', sa.String(), nullable=True),
    sa.Column('family_name', sa.String(), nullable=True),
    sa.Column('middle_name', sa.String(), nullable=True),
    sa.Column('identifier', sa.String(), nullable=True),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('agent_ids', sa.String(), nullable=True),
    sa.Column('grades', sa.String(), nullable=True),
    sa.Column('grade', sa.SmallInteger(), nullable=True),
    sa.Column('primary_org_id', sa.String(), nullable=True),
    sa.Column('org_ids', sa.String(), nullable=True),
    sa.Column('preferred_given_name', sa.String(), nullable=True),
    sa.Column('preferred_family_name', sa.String(), nullable=True),
    sa.Column('pronouns', sa.String(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('date_last_modified', sa.String(length=40), nullable=True),
    sa.Column('extensions', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_index(op.f('ix_users_primary_org_id'), 'users', ['primary_org_id'], unique=False)


#: The tables :func:`upgrade` creates, in creation order (no foreign keys between them).
TABLES = ("academic_sessions", "classes", "courses", "demographics", "enrollments",
          "family_signals", "frameworks", "imports", "interventions", "mastery",
          "mastery_standard_sets", "orgs", "provider_assignments", "responses", "roles",
          "scale_scores", "schema_info", "scope_sequence", "users")


def downgrade() -> None:
    """Below the base there is no store: every table goes (``db downgrade base``)."""
    for name in reversed(TABLES):
        op.drop_table(name)
