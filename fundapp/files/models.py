from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fundapp.core.db import UTCDateTime, utcnow
from fundapp.extensions import db


class StoredFile(db.Model):
    """One uploaded file. The bytes live in ``instance/uploads/<storage_name>``."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    original_filename: Mapped[str] = mapped_column(String(255), nullable=False)
    # Detected from the content, never taken from the upload's headers or name.
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # pdf, png, jpeg, webp
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Set while the file is only *held*: chosen on a form whose submit was refused for another
    # field, kept for its uploader until then (``files.held``); never public, never attached.
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        db.CheckConstraint("size >= 0", name="size_not_negative"),
        Index("ix_stored_files_held_until", "held_until"),
    )

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def __repr__(self) -> str:
        return f"<StoredFile {self.id} {self.kind}>"
