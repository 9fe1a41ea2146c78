"""Queue and deliver email."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import select

from fundapp.core.db import utcnow
from fundapp.extensions import db

from .models import OutboxMessage

log = logging.getLogger("fundapp.mail")


def queue_email(to, subject, template: str, *, kind: str = "notice", language: str | None = None, **context):
    """Render ``templates/<template>.txt`` in the recipient's language and queue it.

    ``to`` is a user (their address and preferred language are used) or an address. ``subject``
    is a lazy string or a callable, so it too is rendered in the recipient's language."""
    user = None if isinstance(to, str) else to
    address = to if isinstance(to, str) else to.email
    lang = language or getattr(user, "preferred_language", None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        body = render_template(f"{template}.txt", recipient=user, **context)
        subject_text = str(subject() if callable(subject) else subject)
    msg = OutboxMessage(
        user_id=getattr(user, "id", None),
        to_address=address,
        subject=subject_text[:300],
        body_text=body,
        kind=kind,
    )
    db.session.add(msg)
    db.session.flush()
    g.setdefault("outbox_ids", []).append(msg.id)
    return msg


def _deliver(msg: OutboxMessage) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = msg.to_address
    email["Subject"] = msg.subject
    email.set_content(msg.body_text)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(email)
    else:
        folder = Path(current_app.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{msg.id:08d}.eml").write_bytes(bytes(email))
        log.info("mail to %s: %s", msg.to_address, msg.subject)


def deliver_pending(ids=None, limit: int = 100) -> int:
    """Deliver queued messages (those in ``ids``, or the oldest ``limit``); commit each result."""
    query = select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    sent = 0
    for msg in db.session.scalars(query.limit(limit)).all():
        msg.attempts += 1
        try:
            _deliver(msg)
        except Exception as exc:  # a mail outage must never fail the request
            log.warning("mail %s not delivered: %s", msg.id, exc)
            msg.last_error = str(exc)[:2000]
            if msg.attempts >= 10:
                msg.status = "failed"
        else:
            msg.status = "sent"
            msg.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent


def _after_request(response):
    ids = g.pop("outbox_ids", None)
    if ids and current_app.config.get("MAIL_SEND_AFTER_REQUEST"):
        try:
            db.session.rollback()  # anything uncommitted was not meant to be
            deliver_pending(ids)
        except Exception:  # never let delivery turn a good response into an error
            log.exception("after-request mail delivery failed")
            db.session.rollback()
    return response


def init_app(app):
    app.after_request(_after_request)
