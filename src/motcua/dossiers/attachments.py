"""Attachments: file type by content (never by name), size limit, SHA-256, virus scan, storage.

``add_attachment`` is the one way a file enters a dossier; ``reuse_attachment`` links a file the
citizen already submitted (Decree 45/2020: do not ask again), without uploading it again.
Supplements add a new version and keep the old ones (``is_current`` False).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import struct
import unicodedata
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max

from motcua.dossiers.models import Attachment, Dossier, Status

ACCEPTED_TYPES = "PDF, JPEG, PNG, DOCX, XLSX"
DISPLAY_NAME_MAX = 120


class AttachmentRejected(Exception):
    """The file cannot be accepted; the message is Vietnamese and safe to show."""


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB".replace(".", ",")
    return f"{n // 1024} KB"


def sniff_type(head: bytes, fileobj) -> str | None:
    """MIME type from the content, or None when it is not one of the accepted kinds."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(fileobj)
    return None


def _sniff_ooxml(fileobj) -> str | None:
    """DOCX/XLSX are zips with [Content_Types].xml naming the main part; anything else is refused."""
    try:
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return None
            types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    finally:
        fileobj.seek(0)
    if b"wordprocessingml.document.main+xml" in types and "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if b"spreadsheetml.sheet.main+xml" in types and "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def display_name(name: str | None) -> str:
    """A safe, short name for display: no folders, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return "tep-dinh-kem"
    if len(name) > DISPLAY_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: DISPLAY_NAME_MAX - len(ext) - 2] + "…." + ext
        else:
            name = name[: DISPLAY_NAME_MAX - 1] + "…"
    return name


def scan_for_viruses(fileobj) -> None:
    """Send the file to clamd (INSTREAM) when ``CLAMAV_SOCKET`` is set; raise if infected.

    The socket is a path (Unix socket) or ``host:port``. When the scanner is configured but
    unreachable the file is refused: an unscanned file must not slip in silently.
    """
    address = getattr(settings, "CLAMAV_SOCKET", "")
    if not address:
        return
    try:
        if ":" in address and not address.startswith("/"):
            host, port = address.rsplit(":", 1)
            sock = socket.create_connection((host, int(port)), timeout=30)
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(30)
            sock.connect(address)
        with sock:
            sock.sendall(b"zINSTREAM\0")
            fileobj.seek(0)
            while chunk := fileobj.read(64 * 1024):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        raise AttachmentRejected("Không kiểm tra được virus cho tệp lúc này. Vui lòng thử lại sau ít phút.") from exc
    finally:
        fileobj.seek(0)
    text = reply.rstrip(b"\0").decode("utf-8", "replace")
    if text.endswith("FOUND"):
        raise AttachmentRejected("Tệp có chứa mã độc nên không được chấp nhận.")
    if not text.endswith("OK"):
        raise AttachmentRejected("Không kiểm tra được virus cho tệp lúc này. Vui lòng thử lại sau ít phút.")


def inspect_upload(upload) -> tuple[str, str, int]:
    """Check one uploaded file: returns (content type, sha256, size) or raises AttachmentRejected."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    if size == 0:
        raise AttachmentRejected("Tệp rỗng (0 byte). Vui lòng chọn lại tệp.")
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise AttachmentRejected(f"Tệp quá lớn ({_human_size(size)}): dung lượng tối đa là {_human_size(limit)}.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_type(head, upload)
    if content_type is None:
        raise AttachmentRejected(
            f"Định dạng tệp không được chấp nhận. Chỉ nhận {ACCEPTED_TYPES} (hệ thống kiểm tra nội dung tệp, không theo tên)."
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(256 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    scan_for_viruses(upload)
    return content_type, digest.hexdigest(), size


def _next_version(dossier: Dossier, component_id) -> int:
    top = Attachment.objects.filter(dossier=dossier, component_id=component_id).aggregate(v=Max("version"))["v"]
    return (top or 0) + 1


def add_attachment(dossier: Dossier, component, upload, *, user=None, replace: bool = False) -> Attachment:
    """Store ``upload`` for ``component`` of ``dossier``.

    ``replace`` (supplements) marks the component's earlier files as not current; they are kept.
    """
    if isinstance(upload, (bytes, bytearray)):
        upload = ContentFile(bytes(upload), name="tep")
    inspected = inspect_upload(upload)
    component_id = getattr(component, "pk", component)

    def store() -> Attachment:
        """Write the file, then its row (the next version); a failed INSERT removes the file."""
        attachment = prepare_attachment(dossier, component_id, upload, inspected, version=None, user=user)
        try:
            insert_attachments([attachment], next_version=True)
        except BaseException:
            delete_stored([attachment.file.name])
            raise
        return attachment

    if not replace and dossier.is_digitised:
        # The common case (a draft's next file): one statement, needing no transaction.
        return store()
    with transaction.atomic():
        if replace:
            Attachment.objects.filter(dossier=dossier, component_id=component_id, is_current=True).update(is_current=False)
        attachment = store()
        if not dossier.is_digitised:
            Dossier.objects.filter(pk=dossier.pk).update(is_digitised=True)
            dossier.is_digitised = True
    return attachment


def prepare_attachment(dossier: Dossier, component_id, upload, inspected: tuple[str, str, int], *, version: int | None,
                       user=None) -> Attachment:
    """An unsaved Attachment for an upload already checked by ``inspect_upload`` (its result
    ``inspected``), with the file written to storage."""
    content_type, sha256, size = inspected
    attachment = Attachment(
        dossier=dossier,
        component_id=component_id,
        original_name=display_name(getattr(upload, "name", "")),
        content_type=content_type,
        size=size,
        sha256=sha256,
        version=version,
        uploaded_by=user if getattr(user, "pk", None) else None,
        digitisation=Attachment.Digitisation.DIGITISED,
    )
    upload.seek(0)
    # The storage path comes from attachment_path (sha256), never from the client's name.
    attachment.file.save(sha256, upload if isinstance(upload, File) else File(upload), save=False)
    return attachment


def insert_attachments(attachments: list[Attachment], *, next_version: bool = False) -> None:
    """INSERT the (unsaved) ``attachments`` in one multi-row statement and set their ids.

    What ``bulk_create`` does, without its PostgreSQL ``UNNEST`` form: building one typed array
    per column cost three times the CPU for the one or two rows of a submission. Values are
    prepared by each field as the ORM would (``pre_save`` for ``uploaded_at``, then
    ``get_db_prep_save``); no model signals are sent, as with ``bulk_create``.
    ``next_version`` (one attachment): its version is the component's highest + 1, computed in
    the same statement (no separate ``MAX`` query)."""
    if not attachments:
        return
    from django.db import connection

    meta = Attachment._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    q = connection.ops.quote_name
    table = q(meta.db_table)
    returning = [meta.pk]
    if next_version:
        if len(attachments) != 1:
            raise ValueError("next_version inserts one attachment")
        att = attachments[0]
        version = meta.get_field("version")
        fields.remove(version)
        same = f"{q('component_id')} = %s" if att.component_id is not None else f"{q('component_id')} IS NULL"
        values = ", ".join(["%s"] * len(fields))
        sql = (
            f"INSERT INTO {table} ({', '.join(q(f.column) for f in fields)}, {q(version.column)}) "
            f"SELECT {values}, COALESCE(MAX(v.{q(version.column)}), 0) + 1 FROM {table} v "
            f"WHERE v.{q('dossier_id')} = %s AND v.{same}"
        )
        extra = [att.dossier_id] + ([att.component_id] if att.component_id is not None else [])
        returning.append(version)
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"INSERT INTO {table} ({', '.join(q(f.column) for f in fields)}) VALUES {', '.join([row] * len(attachments))}"
        extra = []
    sql += f" RETURNING {', '.join(q(f.column) for f in returning)}"
    params = [f.get_db_prep_save(f.pre_save(a, True), connection) for a in attachments for f in fields] + extra
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) != len(attachments):  # never expected: RETURNING gives one row per inserted row
        raise RuntimeError("insert_attachments: RETURNING gave %d rows for %d" % (len(rows), len(attachments)))
    for attachment, row in zip(attachments, rows):
        attachment.pk = row[0]
        if next_version:
            attachment.version = row[1]
        attachment._state.adding = False
        attachment._state.db = connection.alias


def delete_stored(names) -> None:
    """Remove files written for attachments whose rows were not committed."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            pass


def store_for(user):
    """The citizen's document store: the latest copy of each distinct file they submitted."""
    qs = (
        Attachment.objects.filter(dossier__owner=user, is_current=True, dossier__status__gt=0)
        .exclude(digitisation=Attachment.Digitisation.REUSED_RESULT)  # listed as results instead
        .select_related("dossier", "component")
        .order_by("-uploaded_at", "-id")
    )
    seen, files = set(), []
    for att in qs:
        if att.sha256 in seen:
            continue
        seen.add(att.sha256)
        files.append(att)
    return files


def reuse_attachment(dossier: Dossier, component, source: Attachment, *, user=None, replace: bool = False) -> Attachment:
    """Attach a file from the citizen's store: same stored file, flagged REUSED, no upload."""
    if source.dossier.owner_id != getattr(user, "pk", None) or source.dossier.status == 0:
        raise AttachmentRejected("Không tìm thấy tệp trong kho dữ liệu của bạn.")
    component_id = getattr(component, "pk", component)
    with transaction.atomic():
        if replace:
            Attachment.objects.filter(dossier=dossier, component_id=component_id, is_current=True).update(is_current=False)
        origin = source.reused_from or source
        attachment = Attachment.objects.create(
            dossier=dossier,
            component_id=component_id,
            file=source.file.name,
            original_name=source.original_name,
            content_type=source.content_type,
            size=source.size,
            sha256=source.sha256,
            version=_next_version(dossier, component_id),
            uploaded_by=user if getattr(user, "pk", None) else None,
            digitisation=Attachment.Digitisation.REUSED,
            reused_from=origin,
        )
        Dossier.objects.filter(pk=dossier.pk).update(reuses_data=True, is_digitised=True)
        dossier.reuses_data = True
        dossier.is_digitised = True
    return attachment


def reusable_results(user):
    """Signed electronic results of the citizen's dossiers already returned (status 10), newest first."""
    from motcua.documents.services import results_for_user

    return results_for_user(user).filter(dossier__status=Status.RETURNED)


def reuse_result(dossier: Dossier, component, result, *, user=None, replace: bool = False) -> Attachment:
    """Attach the signed result of another of the citizen's dossiers by reference: the result's own
    stored file (never a copy), flagged REUSED_RESULT, and the dossier flagged as reusing data."""
    if (
        result.dossier.owner_id != getattr(user, "pk", None)
        or result.dossier.status != Status.RETURNED
        or not result.is_electronic
        or result.dossier_id == dossier.pk
    ):
        raise AttachmentRejected("Không tìm thấy kết quả trong kho dữ liệu của bạn.")
    component_id = getattr(component, "pk", component)
    with transaction.atomic():
        if replace:
            Attachment.objects.filter(dossier=dossier, component_id=component_id, is_current=True).update(is_current=False)
        attachment = Attachment.objects.create(
            dossier=dossier,
            component_id=component_id,
            file=result.file.name,
            original_name=display_name(f"{result.code}.pdf"),
            content_type="application/pdf",
            size=result.size,
            sha256=result.sha256,
            version=_next_version(dossier, component_id),
            uploaded_by=user if getattr(user, "pk", None) else None,
            digitisation=Attachment.Digitisation.REUSED_RESULT,
        )
        Dossier.objects.filter(pk=dossier.pk).update(reuses_data=True, is_digitised=True)
        dossier.reuses_data = True
        dossier.is_digitised = True
    return attachment


def remove_draft_attachment(dossier: Dossier, attachment_id: int) -> None:
    """Drafts only: take a file off (the stored blob stays if another attachment uses it)."""
    att = Attachment.objects.filter(dossier=dossier, pk=attachment_id).first()
    if att is None:
        return
    # A reused result's file belongs to the result (documents app): never deleted from here.
    shared = (
        att.digitisation == Attachment.Digitisation.REUSED_RESULT
        or Attachment.objects.filter(file=att.file.name).exclude(pk=att.pk).exists()
    )
    name = att.file.name
    att.delete()
    if not shared and name:
        try:
            att.file.storage.delete(name)
        except OSError:
            pass


def open_bytes(attachment: Attachment) -> io.BytesIO:
    with attachment.file.open("rb") as fh:
        return io.BytesIO(fh.read())
