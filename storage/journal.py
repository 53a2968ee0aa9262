"""JournalStorage: a TinyDB storage that is durable and does not rewrite everything on a save.

(Longer than most modules: writing, compaction and opening share the file layout and the lock.)

A store is a directory:

    snapshot.jsonl         the whole database at the last compaction (one line per document)
    journal-000007.jsonl   every change since, one line per atomic change, appended and fsync'd
    damaged/               copies of files that failed their checksums, kept for a person to look at
    lock                   held (flock) while a process has the store open
    clean-close.json       the newest journal's length at the last clean close (a shorter one was cut)

A sealed store (``cipher`` given: the device records) names them snapshot.sealed and
journal-NNNNNN.sealed, seals every line (storage/sealing.py) and keeps a key check in
sealed.json; opening a plain store with a cipher seals it (``_seal_plain_store``).

Every line is ``<crc32 hex> <json>``. A change (one or more operations) is one line, so it is on
disk whole or not at all; ``commit`` returns only after fdatasync. When the journal has grown
past the snapshot, a background thread rotates to a new journal file, writes a new snapshot
(temp file, fsync, rename, fsync the directory) and deletes the journals it covers. Opening
replays the snapshot and then every journal left, in order; replaying a journal the snapshot
already covers is harmless because operations are "set this document", applied in order.

docs/storage.md explains the design and what happens on a crash.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Optional

from tinydb.storages import Storage

from storage.files import fsync_dir
from storage.repository import RecoveryReport, StoreError
from storage.sealing import SEALED_MARK, SEALED_SUFFIX, KeyMissingError, LineCipher, WrongKeyError, is_sealed

FORMAT_VERSION = 1
SNAPSHOT = "snapshot.jsonl"
DAMAGED = "damaged"
CLEAN_CLOSE = "clean-close.json"
DEFAULT_COMPACT_MIN_BYTES = 4 << 20


class _Layout(NamedTuple):
    snapshot: str
    journal: re.Pattern
    suffix: str
    sealed: bool


PLAIN = _Layout(SNAPSHOT, re.compile(r"^journal-(\d{6,})\.jsonl$"), ".jsonl", False)
SEALED = _Layout("snapshot" + SEALED_SUFFIX, re.compile(r"^journal-(\d{6,})\.sealed$"), SEALED_SUFFIX, True)

# An operation: ["put", table, key, doc] | ["del", table, key] | ["replace", table, {key: doc}]
#               | ["drop", table]
Op = list
Tables = dict[str, dict[str, Any]]


class StoreLockedError(StoreError):
    """Another process has this store open."""


def apply_ops(tables: Tables, ops: Iterable[Op]) -> None:
    """Apply operations to in-memory tables. A table keeps its dict object for its whole life,
    so references to it stay valid ("replace" and "drop" empty it in place)."""
    for op in ops:
        kind, name = op[0], op[1]
        if kind == "put":
            tables.setdefault(name, {})[op[2]] = op[3]
        elif kind == "del":
            tables.get(name, {}).pop(op[2], None)
        elif kind == "replace":
            table = tables.setdefault(name, {})
            table.clear()
            table.update(op[2])
        elif kind == "drop":
            table = tables.pop(name, None)
            if table is not None:
                table.clear()
        else:
            raise ValueError(f"unknown operation {kind!r}")


def encode_line(obj: Any, cipher: Optional[LineCipher] = None) -> bytes:
    payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if cipher is not None:
        payload = cipher.seal(payload)
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def _payload(line: bytes, cipher: Optional[LineCipher] = None) -> Optional[bytes]:
    """The JSON text of a line whose checksum holds (and, sealed, whose tag holds), else None."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:]
    try:
        crc = int(line[:8], 16)
    except ValueError:
        return None
    if zlib.crc32(payload) != crc:
        return None
    return payload if cipher is None else cipher.open(payload)


_HEX = re.compile(rb"[0-9a-f]*")
_BASE64 = re.compile(rb"[A-Za-z0-9+/=]*")
_PLAIN_START = b'{"ops":'


def _torn_write(tail: bytes, sealed: bool) -> bool:
    """Whether the bytes after the last newline can be the start of a line this store wrote
    (a write cut short by a kill or a power cut); zeros or garbage cannot."""
    if not _HEX.fullmatch(tail[:8]):
        return False
    if len(tail) <= 8:
        return True
    if tail[8:9] != b" ":
        return False
    payload = tail[9:]
    if sealed:
        return _BASE64.fullmatch(payload) is not None
    # json.dumps escapes every control character, so a line it wrote holds no NUL.
    return _PLAIN_START.startswith(payload[: len(_PLAIN_START)]) and b"\x00" not in payload


def _decode_many(payloads: list[bytes]) -> tuple[list[Any], int]:
    """(decoded values, how many did not decode)."""
    # One json.loads over all lines shares key strings between documents (much less memory
    # than one call per line) and is faster; only when that fails is each line tried alone.
    if not payloads:
        return [], 0
    try:
        return json.loads(b"[" + b",".join(payloads) + b"]"), 0
    except ValueError:
        pass
    values = []
    for payload in payloads:
        try:
            values.append(json.loads(payload))
        except ValueError:
            pass
    return values, len(payloads) - len(values)


class _LineReader:
    """The intact values of a file's lines, a few megabytes at a time (so that opening a big
    store does not hold the whole file, its lines and their values in memory at once)."""

    def __init__(self, path: Path, cipher: Optional[LineCipher] = None, chunk_bytes: int = 8 << 20) -> None:
        self.path = path
        self.cipher = cipher
        self.chunk_bytes = chunk_bytes
        self.bad = 0  # lines whose checksum or JSON failed
        self.tail = b""  # what follows the last newline

    def chunks(self) -> Iterator[list[Any]]:
        with open(self.path, "rb") as f:
            rest = b""
            while block := f.read(self.chunk_bytes):
                block = rest + block if rest else block
                end = block.rfind(b"\n") + 1
                rest = block[end:]
                if end:
                    cipher = self.cipher
                    payloads = [_payload(line, cipher) for line in block[:end].split(b"\n")[:-1]]
                    good = [p for p in payloads if p is not None]
                    values, undecodable = _decode_many(good)
                    self.bad += len(payloads) - len(good) + undecodable
                    yield values
            self.tail = rest


_datasync = getattr(os, "fdatasync", os.fsync)


def _lock(path: Path) -> Optional[int]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        import fcntl
    except ImportError:  # Windows desktop: one app instance per user profile is the norm there
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreLockedError(f"{path.parent} is open in another process") from None
    return fd


class JournalStorage(Storage):
    """Durable TinyDB storage over a directory (see the module docstring).

    ``read()`` returns the live tables (no copy: reads cost nothing). ``commit(ops)`` is the
    fast path: one journal line for any number of documents. ``write(data)`` is TinyDB's own
    whole-database contract and is supported for any TinyDB use: it journals only the tables
    whose dict TinyDB replaced. With a ``cipher`` every line on disk is sealed.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        compact_min_bytes: int = DEFAULT_COMPACT_MIN_BYTES,
        background_compaction: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        cipher: Optional[LineCipher] = None,
    ) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.compact_min_bytes = compact_min_bytes
        self.background_compaction = background_compaction
        self.clock = clock
        self.cipher = cipher
        self._layout = SEALED if cipher is not None else PLAIN
        self.report = RecoveryReport()
        self.lock = threading.RLock()
        self._tables: Tables = {}
        self._committed: dict[str, dict] = {}  # the dict object of each table as last committed
        self._fd: Optional[int] = None
        self._journal_no = 0
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._compactor: Optional[threading.Thread] = None
        self.compaction_error: Optional[BaseException] = None
        self.compactions = 0
        self._lock_fd = _lock(self.path / "lock")
        try:
            self._open()
        except BaseException:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            os.close(self._lock_fd)
            raise

    # ------------------------------------------------------------------ TinyDB's interface

    def read(self) -> Tables:
        return self._tables

    def write(self, data: Tables) -> None:
        """TinyDB's stock Table replaced the dict of the tables it changed: journal those whole."""
        with self.lock:
            ops: list[Op] = []
            for name, table in data.items():
                if self._committed.get(name) is not table:
                    # A fresh copy: TinyDB's updaters mutate documents in place, the journal must not share them.
                    ops.append(["replace", name, json.loads(json.dumps(table))])
            ops += [["drop", name] for name in self._committed if name not in data]
            # Put back the dicts as last committed; commit applies the change to them in place.
            data.clear()
            data.update(self._committed)
            self.commit(ops)

    def close(self) -> None:
        self.wait_for_compaction()
        with self.lock:
            self._compactor = None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
                self._note_clean_close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # ------------------------------------------------------------------ the fast path

    def table(self, name: str) -> dict[str, Any]:
        """The live dict of a table, made (in memory) if it does not exist yet."""
        with self.lock:
            if name not in self._tables:
                self._tables[name] = {}
                self._committed[name] = self._tables[name]
            return self._tables[name]

    def commit(self, ops: list[Op]) -> None:
        """Write ``ops`` as one journal line, fdatasync, then apply them in memory."""
        if not ops:
            return
        line = encode_line({"ops": ops}, self.cipher)
        with self.lock:
            if self._fd is None:
                raise StoreError("the store is closed")
            self._append(line)
            apply_ops(self._tables, ops)
            for op in ops:
                if op[1] in self._tables:
                    self._committed[op[1]] = self._tables[op[1]]
                else:
                    self._committed.pop(op[1], None)
            if self._journal_bytes > max(self.compact_min_bytes, self._snapshot_bytes):
                self.compact(wait=not self.background_compaction)

    def _append(self, line: bytes) -> None:
        assert self._fd is not None
        try:
            written = 0
            while written < len(line):
                written += os.write(self._fd, line[written:])
            _datasync(self._fd)
        except OSError as exc:
            # Take a partial line back so that later lines do not follow garbage.
            try:
                os.ftruncate(self._fd, self._journal_bytes)
            except OSError:
                pass
            raise StoreError(f"could not write to {self.path}: {exc}") from exc
        self._journal_bytes += len(line)

    # ------------------------------------------------------------------ compaction

    def compact(self, *, wait: bool = True) -> None:
        """Write a new snapshot of everything and drop the journals it covers.

        The rotation and the copy of the table dicts happen under the lock (milliseconds);
        the snapshot is written without it, so saves go on meanwhile.
        """
        while True:
            if wait:
                self.wait_for_compaction()  # then start one that covers everything up to now
            with self.lock:
                if self._compactor is not None and self._compactor.is_alive():
                    if wait:
                        continue  # another thread started one meanwhile
                    return
                covered = self._journal_no
                self._rotate()
                frozen = {name: dict(table) for name, table in self._tables.items()}
                self._compactor = threading.Thread(
                    target=self._write_snapshot_safely, args=(frozen, covered), name="phum-compaction", daemon=True
                )
                self._compactor.start()
                break
        if wait:
            self.wait_for_compaction()

    def wait_for_compaction(self) -> None:
        compactor = self._compactor
        if compactor is not None:
            compactor.join()

    def _write_snapshot_safely(self, frozen: Tables, covered: int) -> None:
        try:
            self._write_snapshot(frozen, covered)
            self.compaction_error = None
            self.compactions += 1
        except BaseException as exc:  # the journal still holds everything: retried on the next trigger
            self.compaction_error = exc

    def _write_snapshot(self, frozen: Tables, covered: int) -> None:
        layout, cipher = self._layout, self.cipher
        tmp = self.path / (layout.snapshot + ".tmp")
        count = 0
        with open(tmp, "wb") as out:
            out.write(encode_line({"phum_store": FORMAT_VERSION, "covers_journal": covered,
                                   "written_at": self.clock().isoformat(), "tables": sorted(frozen)}, cipher))
            for name, table in frozen.items():
                for key, doc in table.items():
                    out.write(encode_line([name, key, doc], cipher))
                    count += 1
            out.write(encode_line({"end": count}, cipher))
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(tmp, self.path / layout.snapshot)
        fsync_dir(self.path)
        self._snapshot_bytes = size
        for number, path in self._journals(layout):
            if number <= covered:
                path.unlink()
        fsync_dir(self.path)

    def _rotate(self) -> None:
        """Start a new journal file; the old ones stay until a snapshot covers them."""
        if self._fd is not None:
            os.close(self._fd)
        self._journal_no += 1
        self._fd = os.open(self._journal_path(self._journal_no), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._journal_bytes = os.fstat(self._fd).st_size
        fsync_dir(self.path)

    # ------------------------------------------------------------------ opening and recovery

    def _journal_path(self, number: int, layout: Optional[_Layout] = None) -> Path:
        return self.path / f"journal-{number:06d}{(layout or self._layout).suffix}"

    def _journals(self, layout: Optional[_Layout] = None) -> list[tuple[int, Path]]:
        pattern = (layout or self._layout).journal
        found = []
        for entry in self.path.iterdir():
            match = pattern.match(entry.name)
            if match:
                found.append((int(match.group(1)), entry))
        return sorted(found)

    def _files(self, layout: _Layout) -> list[Path]:
        snapshot = self.path / layout.snapshot
        return ([snapshot] if snapshot.exists() else []) + [path for _, path in self._journals(layout)]

    def _open(self) -> None:
        self._check_key()  # first: a wrong or missing key must leave every file as it is
        for layout in (PLAIN, SEALED):  # a compaction that did not finish
            (self.path / (layout.snapshot + ".tmp")).unlink(missing_ok=True)
        acknowledged = self._take_clean_close()
        if self.cipher is not None and self._files(PLAIN):
            self._seal_plain_store(acknowledged)
        else:
            damaged = self._load(self._layout, acknowledged)
            self._settle(damaged)
        fsync_dir(self.path)

    def _load(self, layout: _Layout, acknowledged: Optional[tuple[str, int]]) -> list[Path]:
        """Load a layout's snapshot and journals into memory; the files that were damaged."""
        damaged: list[Path] = []
        cipher = self.cipher if layout.sealed else None
        snapshot = self.path / layout.snapshot
        if snapshot.exists():
            if not self._load_snapshot(snapshot, cipher):
                damaged.append(snapshot)
        journals = self._journals(layout)
        for i, (number, path) in enumerate(journals):
            length = acknowledged[1] if acknowledged and acknowledged[0] == path.name else None
            if not self._replay_journal(path, cipher, last=i == len(journals) - 1, acknowledged=length):
                damaged.append(path)
        self._journal_no = max(self._journal_no, journals[-1][0] if journals else 0)
        self._committed = dict(self._tables)
        return damaged

    def _settle(self, damaged: list[Path]) -> None:
        """Start writing: after damage, on a fresh snapshot of what was recovered."""
        if damaged:
            self._keep_aside(damaged)
            self._rotate()
            self._write_snapshot({n: dict(t) for n, t in self._tables.items()}, self._journal_no - 1)
            self.report.records_recovered = sum(len(t) for t in self._tables.values())
        elif self._journal_no:
            self._fd = os.open(self._journal_path(self._journal_no), os.O_WRONLY | os.O_APPEND)
            self._journal_bytes = os.fstat(self._fd).st_size
        else:
            self._rotate()

    def _load_snapshot(self, path: Path, cipher: Optional[LineCipher]) -> bool:
        """Load every intact document; False when anything was damaged."""
        self._snapshot_bytes = path.stat().st_size
        reader = _LineReader(path, cipher)
        header: Optional[dict] = None
        last: Any = None
        documents = 0
        for rows in reader.chunks():
            for row in rows:
                if last is None and isinstance(row, dict) and "phum_store" in row:
                    header = row
                    if header["phum_store"] > FORMAT_VERSION:
                        raise StoreError(f"{path} was written by a newer version of Phum "
                                         f"(format {header['phum_store']})")
                    for name in header.get("tables", []):
                        self._tables.setdefault(name, {})
                elif isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[2], dict):
                    self._tables.setdefault(row[0], {})[row[1]] = row[2]
                    documents += 1
                last = row
        bad = reader.bad + (1 if reader.tail else 0)
        complete = header is not None and isinstance(last, dict) and last.get("end") == documents
        if bad or not complete:
            self.report.entries_lost += bad
            self.report.messages.append(
                f"{path.name}: {bad} damaged line(s); "
                + ("" if complete else "the file is incomplete; ")
                + f"{documents} intact document(s) recovered"
            )
            return False
        return True

    def _replay_journal(self, path: Path, cipher: Optional[LineCipher], *, last: bool,
                        acknowledged: Optional[int]) -> bool:
        """Replay every intact change; False when the file was damaged (then it is left untouched).

        Only a torn last write may be cut off without a word: bytes after the newest journal's
        last newline that can be the start of a line, beyond what the last clean close saw.
        """
        reader = _LineReader(path, cipher)
        replayed = failed = 0
        for changes in reader.chunks():
            for change in changes:
                try:
                    apply_ops(self._tables, change["ops"])
                    replayed += 1
                except (KeyError, TypeError, IndexError, ValueError):
                    failed += 1
        bad = reader.bad + failed
        size = path.stat().st_size
        complete = size - len(reader.tail)
        if acknowledged is not None and complete < acknowledged and not bad:
            bad += 1  # no line is damaged, yet at least one the store had acknowledged is gone
            self.report.messages.append(f"{path.name}: {acknowledged - complete} bytes shorter than at the last close")
        torn = reader.tail and last and not bad and _torn_write(reader.tail, cipher is not None)
        if torn:
            # The last change was being written when the process died: it was never
            # acknowledged. Cut it off so that new changes do not follow it.
            with open(path, "r+b") as f:
                f.truncate(complete)
                f.flush()
                os.fsync(f.fileno())
            self.report.messages.append(f"{path.name}: an unfinished change ({len(reader.tail)} bytes) was discarded")
        elif reader.tail:
            bad += 1
        if bad:
            self.report.entries_lost += bad
            self.report.messages.append(f"{path.name}: {bad} damaged change(s) skipped, {replayed} replayed")
            return False
        return True

    def _keep_aside(self, paths: list[Path]) -> None:
        """Copy damaged files into damaged/ (never delete them): a person may still read them.

        In a sealed store a plain file (found while sealing) is kept sealed, as one value.
        """
        folder = self.path / DAMAGED
        folder.mkdir(exist_ok=True)
        stamp = self.clock().strftime("%Y%m%dT%H%M%S%fZ")
        for path in paths:
            target = folder / f"{stamp}-{path.name}"
            if self.cipher is not None and not path.name.endswith(SEALED_SUFFIX):
                target = target.with_name(target.name + SEALED_SUFFIX)
                target.write_bytes(self.cipher.seal_file(path.read_bytes()))
            else:
                shutil.copyfile(path, target)
            with open(target, "rb") as f:
                os.fsync(f.fileno())
            self.report.damaged_files.append(str(target))
        fsync_dir(folder)
        fsync_dir(self.path)

    # ------------------------------------------------------------------ clean close

    def _note_clean_close(self) -> None:
        """Record the newest journal's length: a later opening that finds it shorter knows it was cut."""
        path = self._journal_path(self._journal_no)
        tmp = self.path / (CLEAN_CLOSE + ".tmp")
        try:
            with open(tmp, "wb") as out:
                out.write(encode_line({"journal": path.name, "bytes": self._journal_bytes}))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path / CLEAN_CLOSE)
            fsync_dir(self.path)
        except OSError:
            pass  # only a witness: without it a cut journal is judged by its last line alone

    def _take_clean_close(self) -> Optional[tuple[str, int]]:
        """(journal name, length) from the last clean close, removed so that it is used once."""
        path = self.path / CLEAN_CLOSE
        (self.path / (CLEAN_CLOSE + ".tmp")).unlink(missing_ok=True)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        path.unlink()
        payload = _payload(data.rstrip(b"\n"))
        try:
            note = json.loads(payload) if payload is not None else None
            return (str(note["journal"]), int(note["bytes"]))
        except (ValueError, TypeError, KeyError):
            return None

    # ------------------------------------------------------------------ sealing

    def _check_key(self) -> None:
        """Refuse a store sealed with another key, or a sealed store opened without one."""
        if self.cipher is None:
            if is_sealed(self.path):
                raise KeyMissingError(f"{self.path} is encrypted and no data key was given")
            return
        mark = self.path / SEALED_MARK
        check = None
        if mark.exists():
            payload = _payload(mark.read_bytes().rstrip(b"\n"))
            try:
                check = json.loads(payload)["check"].encode("ascii") if payload is not None else None
            except (ValueError, TypeError, KeyError, AttributeError):
                check = None
        if check is not None:
            if not self.cipher.matches(check):
                raise WrongKeyError(f"{self.path} was encrypted with another data key")
            return
        # No readable key check: the first sealed line whose checksum holds tells.
        for path in self._files(SEALED):
            with open(path, "rb") as f:
                for line in f:
                    sealed = _payload(line.rstrip(b"\n"))
                    if sealed is not None:
                        if self.cipher.open(sealed) is None:
                            raise WrongKeyError(f"{self.path} was encrypted with another data key")
                        break
        tmp = self.path / (SEALED_MARK + ".tmp")
        with open(tmp, "wb") as out:
            out.write(encode_line({"phum_sealed": 1, "cipher": self.cipher.name,
                                   "check": self.cipher.key_check().decode("ascii")}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, mark)
        fsync_dir(self.path)

    def _seal_plain_store(self, acknowledged: Optional[tuple[str, int]]) -> None:
        """Seal a plain store: load it, write it as a sealed snapshot, then delete the plain files.

        Crash-safe: until snapshot.sealed is renamed into place the plain files are whole and
        are read again; once it is there it holds everything and plain leftovers are removed.
        """
        plain = self._files(PLAIN)
        if (self.path / SEALED.snapshot).exists():  # a sealing that was stopped while deleting
            damaged = self._load(SEALED, None)
            if damaged:
                damaged += plain  # the sealed copy is not whole: keep the plain leftovers too (sealed)
            self._settle(damaged)
        else:
            damaged = self._load(PLAIN, acknowledged)
            if damaged:
                self._keep_aside(damaged)
            self._write_snapshot({n: dict(t) for n, t in self._tables.items()}, self._journal_no)
            self._rotate()
            count = sum(len(t) for t in self._tables.values())
            if damaged:
                self.report.records_recovered = count
            self.report.messages.append(f"the records were encrypted ({count} documents)")
        for path in plain:
            path.unlink(missing_ok=True)
        fsync_dir(self.path)
