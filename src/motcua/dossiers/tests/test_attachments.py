import hashlib
import os
import socket
import struct
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.dossiers.attachments import AttachmentRejected, add_attachment, display_name, reuse_attachment, store_for
from motcua.dossiers.models import Attachment
from motcua.dossiers.submission import start_draft, submit
from motcua.dossiers.tests.conftest import PDF, PNG, make_ooxml

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(birth_procedure, citizen):
    return start_draft(citizen, birth_procedure)


@pytest.fixture
def component(birth_procedure):
    return birth_procedure.components.first()


@pytest.mark.parametrize(
    "content, expected",
    [
        (PDF, "application/pdf"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        (PNG, "image/png"),
        (make_ooxml("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (make_ooxml("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_accepted_by_content_whatever_the_name(draft, component, citizen, content, expected):
    att = add_attachment(draft, component, SimpleUploadedFile("anh.exe", content), user=citizen)
    assert att.content_type == expected
    assert att.sha256 == hashlib.sha256(content).hexdigest()
    assert att.size == len(content)
    assert "anh.exe" not in att.file.name and att.sha256 in att.file.name
    with att.file.open("rb") as fh:
        assert fh.read() == content


@pytest.mark.parametrize(
    "content, message",
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "Định dạng tệp không được chấp nhận"),
        (b"", "Tệp rỗng"),
        (b"PK\x03\x04not really a zip", "Định dạng tệp không được chấp nhận"),
    ],
)
def test_rejected(draft, component, content, message):
    with pytest.raises(AttachmentRejected, match=message):
        add_attachment(draft, component, SimpleUploadedFile("giay-to.pdf", content))
    assert not Attachment.objects.exists()


def test_zip_without_office_parts_is_rejected(draft, component):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("payload.exe", "MZ")
    with pytest.raises(AttachmentRejected):
        add_attachment(draft, component, SimpleUploadedFile("x.docx", buf.getvalue()))


def test_size_limit(settings, draft, component):
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(AttachmentRejected, match="Tệp quá lớn"):
        add_attachment(draft, component, SimpleUploadedFile("a.pdf", PDF + b"0" * 1000))


def test_display_name_sanitised():
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("..\\..\\windows\\system32\\a.pdf") == "a.pdf"
    assert display_name("a\x00b<c>.pdf") == "a_b_c_.pdf"
    long = display_name("á" * 500 + ".pdf")
    assert len(long) <= 120 and long.endswith(".pdf")
    assert display_name("") == "tep-dinh-kem"


def test_versions_are_kept_on_replace(draft, component, citizen):
    first = add_attachment(draft, component, SimpleUploadedFile("a.pdf", PDF), user=citizen)
    second = add_attachment(draft, component, SimpleUploadedFile("b.pdf", PDF + b"2"), user=citizen, replace=True)
    first.refresh_from_db()
    assert (first.version, first.is_current) == (1, False)
    assert (second.version, second.is_current) == (2, True)
    assert first.file.storage.exists(first.file.name)


def test_next_version_is_computed_in_the_insert(draft, birth_procedure, citizen):
    """A draft's next file is one INSERT … SELECT: versions count per component, from 1."""
    first, other = birth_procedure.components.order_by("order")[:2]
    made = [add_attachment(draft, c, SimpleUploadedFile(f"{n}.pdf", PDF + str(n).encode()), user=citizen)
            for n, c in enumerate([first, first, other, first])]
    assert [a.version for a in made] == [1, 2, 1, 3]
    stored = {a.pk: (a.component_id, a.version, a.is_current, a.sha256, a.uploaded_by_id) for a in made}
    rows = {a.pk: (a.component_id, a.version, a.is_current, a.sha256, a.uploaded_by_id)
            for a in draft.attachments.all()}
    assert rows == stored and all(a.uploaded_at and a.file.storage.exists(a.file.name) for a in made)


class FakeClamd:
    """A clamd speaking INSTREAM on a Unix socket: flags any stream containing the EICAR marker."""

    def __init__(self, path):
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.received = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                assert command == b"zINSTREAM\0"
                data = b""
                while True:
                    size = struct.unpack("!L", self._read(conn, 4))[0]
                    if size == 0:
                        break
                    data += self._read(conn, size)
                self.received.append(data)
                verdict = b"stream: Eicar-Test-Signature FOUND\0" if b"EICAR" in data else b"stream: OK\0"
                conn.sendall(verdict)

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            buf += conn.recv(n - len(buf))
        return buf

    def close(self):
        self.server.close()


def test_virus_scan_hook(settings, tmp_path, draft, component):
    path = str(tmp_path / "clamd.sock")
    clamd = FakeClamd(path)
    settings.CLAMAV_SOCKET = path
    try:
        ok = add_attachment(draft, component, SimpleUploadedFile("a.pdf", PDF))
        assert ok.pk and clamd.received[-1] == PDF
        with pytest.raises(AttachmentRejected, match="mã độc"):
            add_attachment(draft, component, SimpleUploadedFile("b.pdf", PDF + b"EICAR-STANDARD-ANTIVIRUS-TEST"))
    finally:
        clamd.close()
    assert Attachment.objects.count() == 1
    settings.CLAMAV_SOCKET = str(tmp_path / "missing.sock")
    with pytest.raises(AttachmentRejected, match="Không kiểm tra được virus"):
        add_attachment(draft, component, SimpleUploadedFile("c.pdf", PDF))


def test_reuse_from_store(complete_draft, birth_procedure, citizen):
    submit(complete_draft, citizen)
    files = store_for(citizen)
    assert len(files) == 2
    new = start_draft(citizen, birth_procedure)
    component = files[0].component
    reused = reuse_attachment(new, component, files[0], user=citizen)
    new.refresh_from_db()
    assert reused.digitisation == Attachment.Digitisation.REUSED
    assert reused.reused_from_id == files[0].pk
    assert reused.file.name == files[0].file.name
    assert new.reuses_data is True


def test_reuse_refuses_someone_elses_file(complete_draft, birth_procedure, citizen, django_user_model):
    submit(complete_draft, citizen)
    other = django_user_model.objects.create_user(username="0987654321", password="x" * 12)
    theirs = start_draft(other, birth_procedure)
    with pytest.raises(AttachmentRejected):
        reuse_attachment(theirs, None, store_for(citizen)[0], user=other)
