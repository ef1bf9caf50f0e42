"""Discovery on a hostile drop folder: it ends, hashes only regular files and refuses every other path
with its reason (issue 17).  ``discover`` alone, no process started: fast tests."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import zipfile
from pathlib import Path

import pytest
from golden import FIXTURES

from pipeline.limits import Limits
from pipeline.records import SourceFile
from pipeline.runtime.batch import DiscoveryOptions, SourceChanged, discover, path_marker, read_source

SEED = FIXTURES / "seeds" / "002_59b883e404a36628.txt"


def _by_name(sources: list[SourceFile]) -> dict[str, SourceFile]:
    return {s.path.rsplit("/", 1)[-1]: s for s in sources}


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.txt").write_bytes(SEED.read_bytes())
    os.mkfifo(inbox / "pipe.txt")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    (inbox / "dangling.txt").symlink_to(inbox / "nowhere.txt")
    (inbox / "loop_a.txt").symlink_to(inbox / "loop_b.txt")
    (inbox / "loop_b.txt").symlink_to(inbox / "loop_a.txt")
    (inbox / os.fsdecode(b"bad-\xe9-name.txt")).write_bytes(b"whatever")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(SEED.read_bytes())
    (inbox / "escape.txt").symlink_to(outside)
    (inbox / "inside-link.txt").symlink_to(inbox / "good.txt")
    with open(inbox / "sparse.txt", "wb") as fh:  # 10 GB, no block on disk: must not be read
        fh.truncate(10 * 10**9)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "sock.txt"))
    sock.close()
    (inbox / "desktop.ini").write_bytes(b"[.ShellClassInfo]")
    (inbox / "Thumbs.db").write_bytes(b"\0" * 10)
    (inbox / "~$draft.docx").write_bytes(b"owner file")
    return inbox


def test_every_bad_path_is_refused_with_its_reason_and_the_good_file_is_hashed(hostile: Path) -> None:
    found = _by_name(discover([hostile], Limits()))
    good = found.pop("good.txt")
    assert good.rejected is None and good.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    link = found.pop("inside-link.txt")  # a link inside the folder: the file it names, same bytes
    assert link.rejected is None and link.sha256 == good.sha256
    reasons = {name: s.rejected for name, s in found.items()}
    assert reasons.pop("pipe.txt") == "not a regular file: a named pipe (FIFO)"
    assert reasons.pop("sock.txt") == "not a regular file: a socket"
    assert reasons.pop("zero.txt") == ("symbolic link to /dev/zero, outside the folder ingested "
                                       "(allow it with --follow-links)")
    assert (reasons.pop("dangling.txt") or "").startswith("dangling symbolic link")
    assert reasons.pop("loop_a.txt") == reasons.pop("loop_b.txt") == "symbolic link loop"
    assert (reasons.pop("escape.txt") or "").startswith("symbolic link to ")
    assert "over the size limit" in (reasons.pop("sparse.txt") or "")
    assert reasons.pop("bad-\\xe9-name.txt") == "file name is not valid UTF-8 (rename the file)"
    assert reasons == {}  # desktop litter skipped silently
    for name, s in found.items():  # a path-level rejection is keyed by its path and reason, never by bytes
        assert s.sha256 == path_marker(s.path, s.rejected or ""), name


def test_following_links_outside_still_refuses_devices(hostile: Path) -> None:
    found = _by_name(discover([hostile], DiscoveryOptions(limits=Limits(), follow_outside=True)))
    assert found["zero.txt"].rejected == "not a regular file: a character device"
    assert found["escape.txt"].rejected is None


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    for name in ("a.txt", "b.pdf", "sub/c.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    names = lambda **kw: sorted(Path(s.path).name for s in discover([tmp_path], DiscoveryOptions(Limits(), **kw)))  # noqa: E731
    assert names(include=("*.txt",)) == ["a.txt", "c.txt"]
    assert names(exclude=("sub/*",)) == ["a.txt", "b.pdf"]


def test_a_file_that_changed_since_discovery_is_not_what_was_hashed(tmp_path: Path) -> None:
    f = tmp_path / "doc.txt"
    f.write_bytes(SEED.read_bytes())
    [found] = discover([f], Limits())
    assert read_source(found, Limits()) == SEED.read_bytes()
    f.write_bytes(SEED.read_bytes()[:200])
    with pytest.raises(SourceChanged, match="changed while read"):
        read_source(found, Limits())


def _zip(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def test_zip_members_are_sources_with_the_zip_as_parent(tmp_path: Path) -> None:
    z = _zip(tmp_path / "pack.zip", {"a/one.txt": b"one", "a/b/two.txt": b"two", "__MACOSX/._one.txt": b"x",
                                     "a/Thumbs.db": b"x", "a/": b""})
    zip_sha = hashlib.sha256(z.read_bytes()).hexdigest()
    found = discover([tmp_path], Limits())
    assert [(s.path, s.member, s.parent) for s in found] == [
        (f"{z}!/a/b/two.txt", "a/b/two.txt", zip_sha), (f"{z}!/a/one.txt", "a/one.txt", zip_sha)]
    assert found[1].sha256 == hashlib.sha256(b"one").hexdigest()
    assert read_source(found[1], Limits()) == b"one"


@pytest.mark.parametrize(("files", "reason"), [
    ({"../evil.txt": b"x"}, "path traversal"),
    ({"/etc/evil.txt": b"x"}, "path traversal"),
    ({"bomb.txt": b"\0" * 5_000_000}, "zip bomb"),
])
def test_hostile_zips_are_refused_whole(tmp_path: Path, files: dict[str, bytes], reason: str) -> None:
    _zip(tmp_path / "bad.zip", {"ok.txt": b"fine", **files})
    [found] = discover([tmp_path], Limits())
    assert found.path.endswith("bad.zip") and reason in (found.rejected or "")


@pytest.mark.parametrize(("name", "files", "what"), [
    ("notes.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                    "xl/worksheets/sheet1.xml": b"<worksheet/>"}, "an Excel workbook (.xlsx)"),
    ("slides.pptx", {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<presentation/>"},
     "a PowerPoint presentation (.pptx)"),
    ("table.ods", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
     "an OpenDocument spreadsheet (.ods)"),
])
def test_a_spreadsheet_or_presentation_is_refused_whole_not_read_as_a_zip_of_xml_members(
        tmp_path: Path, name: str, files: dict[str, bytes], what: str) -> None:
    """An .xlsx is a zip of XML parts: each part was ingested as a text file of its own and rejected as
    "not a CQPM référentiel" under names such as notes.xlsx!/xl/workbook.xml."""
    from pipeline.errors import RejectedInput
    from pipeline.extract.sniff import sniff_format

    path = _zip(tmp_path / name, files)
    [found] = discover([tmp_path], Limits())
    assert found.path == str(path) and found.member is None
    assert (found.rejected or "").startswith(f"{what}, not a référentiel or fiche document: save")
    assert found.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # quarantined by its bytes
    with pytest.raises(RejectedInput, match=r"\(\.(xlsx|pptx|ods)\), not a référentiel"):
        sniff_format(path.read_bytes(), str(path))


@pytest.mark.parametrize("files", [{}, {"dossier/": b""}])
def test_an_empty_zip_is_refused_not_skipped_in_silence(tmp_path: Path, files: dict[str, bytes]) -> None:
    """An empty archive (a download cut short, an export replaced by an empty zip) was "nothing to do", exit 0."""
    _zip(tmp_path / "export-fiches-rncp-v4-1-2026-12-07.zip", files)
    [found] = discover([tmp_path], Limits())
    assert found.path.endswith("export-fiches-rncp-v4-1-2026-12-07.zip")
    assert "empty zip: it holds no file" in (found.rejected or "")


def test_an_rncp_export_zip_is_one_source_for_the_export_reader_not_a_container(tmp_path: Path) -> None:
    export = _zip(tmp_path / "export-fiches-rncp-v4-1-2026-11-30.zip",
                  {"export_fiches_RNCP_V4_1_2026-11-30.xml": b"<FICHES/>"})
    [found] = discover([tmp_path], Limits())
    assert (found.path, found.member, found.rejected) == (str(export), None, None)
    assert found.sha256 == hashlib.sha256(export.read_bytes()).hexdigest()


@pytest.mark.parametrize(("error", "reason"), [
    (errno.EACCES, "cannot read file: permission denied"),
    (errno.ENOENT, "file vanished before it could be read"),
])
def test_a_file_that_cannot_be_opened_is_refused_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 error: int, reason: str) -> None:
    (tmp_path / "locked.txt").write_bytes(b"secret")  # root reads everything: the error is injected
    (tmp_path / "fine.txt").write_bytes(b"fine")
    real_open = os.open

    def guarded(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if str(path).endswith("locked.txt"):
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", guarded)
    found = _by_name(discover([tmp_path], Limits()))
    assert found["locked.txt"].rejected == reason
    assert found["fine.txt"].rejected is None


def test_word_and_opendocument_files_are_documents_not_containers(tmp_path: Path) -> None:
    from office_docs import write_docx, write_odt

    docx = write_docx(SEED, tmp_path / "ref.docx")
    odt = write_odt(SEED, tmp_path / "ref.odt")
    found = discover([tmp_path], Limits())
    assert [(s.path, s.member, s.rejected) for s in found] == [(str(docx), None, None), (str(odt), None, None)]
    assert found[0].sha256 == hashlib.sha256(docx.read_bytes()).hexdigest()
