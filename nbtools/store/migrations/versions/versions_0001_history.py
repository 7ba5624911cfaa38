"""Notebook versions: stored objects, versions and the references that pin them.

Revision ID: versions_0001
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "versions_0001"
down_revision = "0002"
branch_labels = ("versions",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_objects",
        sa.Column("sha", sa.LargeBinary(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pack", sa.Integer(), nullable=True),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("encoding", sa.Integer(), nullable=False),
        sa.Column("base", sa.LargeBinary(32), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base"],
            ["version_objects.sha"],
            name=op.f("fk_version_objects_base_version_objects"),
        ),
        sa.PrimaryKeyConstraint("sha", name=op.f("pk_version_objects")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notebook_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("message", sa.String(4096), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("manifest", sa.LargeBinary(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("cells_changed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manifest"],
            ["version_objects.sha"],
            name=op.f("fk_versions_manifest_version_objects"),
        ),
        sa.ForeignKeyConstraint(
            ["notebook_id"], ["notebooks.id"], name=op.f("fk_versions_notebook_id_notebooks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("notebook_id", "number", name=op.f("uq_versions_notebook_id")),
    )
    op.create_table(
        "version_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_version_refs_version_id_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_refs")),
        sa.UniqueConstraint("kind", "ref", "version_id", name=op.f("uq_version_refs_kind")),
    )


def downgrade() -> None:
    op.drop_table("version_refs")
    op.drop_table("versions")
    op.drop_table("version_objects")
