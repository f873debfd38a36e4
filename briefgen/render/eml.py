"""Email renderer: a ready-to-send draft (.eml) with the pack's files attached."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from ..document import EmailDraft

#: MIME types of the attachments briefgen writes.
MIME_TYPES = {
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": ("application", "pdf"),
    "ics": ("text", "calendar"),
}


def render_eml(draft: EmailDraft, attachments: dict[str, bytes]) -> bytes:
    """Return an RFC 5322 message that mail clients open as an unsent draft, files attached."""
    message = EmailMessage(policy=SMTP)
    _set_subject(message, draft.subject)
    if draft.date:
        moment = dt.datetime.combine(draft.date, dt.time(8, 0), tzinfo=dt.timezone.utc)
        message["Date"] = format_datetime(moment)
    # Outlook opens a message with X-Unsent: 1 in its compose window, ready to address and send.
    message["X-Unsent"] = "1"
    message.set_content(draft.text)
    message.add_alternative(draft.html, subtype="html")
    for name, data in attachments.items():
        maintype, subtype = MIME_TYPES[name.rsplit(".", 1)[-1]]
        if maintype == "text":
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=name)
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    _fix_boundaries(message)
    return message.as_bytes()


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Set the Subject header so that every mail client shows ``subject`` as written, on one line."""
    # A header is one line: the email policy refuses line breaks (which could otherwise add headers).
    subject = re.sub(r"\s+", " ", subject).strip()
    if "=?" in subject:
        # Text that looks like an RFC 2047 encoded word ("=?utf-8?q?…?=") would be decoded by
        # every reader, and by the email package as it stores the header: encode the whole
        # subject instead, so that it decodes to the characters typed.
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())
    else:
        message["Subject"] = subject


def _fix_boundaries(message: EmailMessage) -> None:
    """Give each multipart a boundary derived from its content, so rebuilds are identical."""
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            digest = hashlib.sha256(repr([p.get_payload() for p in part.walk() if not p.is_multipart()]).encode()).hexdigest()[:24]
            part.set_boundary(f"=_briefgen_{index}_{digest}")
