"""What the Reports screen does with a report besides showing it: save it as XLSX or PDF, submit it
up the chain, and see which sub-areas submitted theirs (server/submissions.py).

A file is made on this device from the device's own report when it can (a desktop with the
``desktop`` extra: records/report_files.py, records/report_pdf.py), else fetched from the server
for the same area and period (a phone, online and signed in). Either way it is saved in the
downloads folder (PHUM_DOWNLOADS_DIR, else the user's Downloads). Every failure is a
ReportActionError whose ``code`` the screen shows as ``error.<code>`` in the user's language.
"""
from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Optional

from records.models import utcnow
from records.report import local_date
from records.roles import is_office
from sync.account import SyncAccount
from sync.transport import AuthError, Forbidden, Refused, RetryLater, SyncError, Transport

FORMATS = ("xlsx", "pdf")
# The libraries each local file needs (the desktop extra in pyproject.toml); phones have none of them.
NEEDS = {"xlsx": ("openpyxl",), "pdf": ("fpdf", "uharfbuzz", "icu")}
# Refusals the screen can explain in their own words (error.<code>); any other is report_refused.
KNOWN_REFUSALS = frozenset({"period_not_over", "period_invalid", "text_too_long", "area_invalid", "area_forbidden",
                            "outside_area", "forbidden_role"})


class ReportActionError(Exception):
    """An export or a submission did not work; ``code`` is a key under error.* in the translations."""

    def __init__(self, code: str, reason: str = ""):
        super().__init__(reason or code)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class SavedFile:
    path: Path
    made_by: str  # "device" (made here from the device's records) or "server" (fetched)


def downloads_dir() -> Path:
    """Where exported files go: PHUM_DOWNLOADS_DIR, else the user's Downloads folder."""
    chosen = os.environ.get("PHUM_DOWNLOADS_DIR", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_downloads_dir

    return Path(user_downloads_dir())


def fallback_dir() -> Path:
    """Where a file goes when the downloads folder cannot be written (a phone's shared storage
    needs a permission the app does not ask for): the app's own data folder."""
    from app import config

    return config.data_dir() / "exports"


def local_files_wanted() -> bool:
    """PHUM_LOCAL_REPORT_FILES=0 makes this desktop behave as a phone (files from the server)."""
    return os.environ.get("PHUM_LOCAL_REPORT_FILES", "1").strip().lower() not in ("0", "false", "off", "no")


def file_name(area_code: str, period_label: str, fmt: str) -> str:
    """The same name the server gives the file (server/report.py)."""
    return f"phum-report-{area_code or 'national'}-{period_label.replace('..', '_')}.{fmt}"


class ReportActions:
    def __init__(self, account: SyncAccount, *, folder: Callable[[], Path] = downloads_dir,
                 fallback: Optional[Callable[[], Path]] = fallback_dir, local_files: Optional[bool] = None,
                 clock: Callable[[], datetime] = utcnow):
        self.account = account
        self.folder = folder
        self.fallback = fallback
        self.local_files = local_files_wanted() if local_files is None else local_files
        self.clock = clock

    def today(self) -> date:
        """Today in Cambodia by the app's clock (the periods the screen offers end here)."""
        return local_date(self.clock())

    # ---------------------------------------------------------------- who may do what

    @property
    def signed_in(self) -> bool:
        s = self.account.settings
        return bool(s.signed_in and s.server_url and s.token and s.user)

    @property
    def may_submit(self) -> bool:
        """A supervisor or an admin submits their own area's report; an official does not."""
        s = self.account.settings
        return self.signed_in and is_office(s.user.role)

    @property
    def own_area(self) -> str:
        user = self.account.settings.user
        return user.area_code if user else ""

    def makes_locally(self, fmt: str) -> bool:
        """This device can make ``fmt`` itself (the desktop extra and, for the PDF, its fonts)."""
        if not self.local_files or fmt not in NEEDS:
            return False
        if any(importlib.util.find_spec(name) is None for name in NEEDS[fmt]):
            return False
        if fmt == "pdf":
            from records.report_pdf import FONTS, LATIN

            fonts = (FONTS / "NotoSansKhmer-Regular.ttf", FONTS / "NotoSansKhmer-Bold.ttf",
                     LATIN / "NotoSans-Regular.ttf", LATIN / "NotoSans-Bold.ttf")
            return all(f.is_file() for f in fonts)
        return True

    # ---------------------------------------------------------------- files

    def export(self, fmt: str, report: Optional[dict[str, Any]], *, area_code: str, period_label: str,
               lang: str) -> SavedFile:
        """Save the report as ``fmt``: made here from ``report`` (the device's) when this device can,
        else the server's file for the same area and period. Blocking: run it off the UI loop."""
        if fmt not in FORMATS:
            raise ReportActionError("format_invalid")
        if report is not None and self.makes_locally(fmt):
            body = self._render(fmt, report, lang)
            if body is not None:
                return SavedFile(self._save(file_name(area_code, period_label, fmt), body), "device")
        body, name = self._remote(lambda t: t.report_file(area_code, period_label, fmt, lang))
        return SavedFile(self._save(file_name(area_code, period_label, fmt) if not name.endswith(f".{fmt}")
                                    else name, body), "server")

    @staticmethod
    def _render(fmt: str, report: dict[str, Any], lang: str) -> Optional[bytes]:
        try:
            if fmt == "xlsx":
                from records.report_files import to_xlsx

                return to_xlsx(report, lang)
            from records.report_pdf import to_pdf

            return to_pdf(report, lang)
        except (ImportError, OSError):  # a library or a font went missing: the server makes it instead
            return None

    def _save(self, name: str, body: bytes) -> Path:
        """Write the file whole (a temporary name, then renamed), never over an earlier export; in the
        app's own folder when the downloads folder cannot be written."""
        name = _safe(name)
        try:
            return _write_new(self.folder(), name, body)
        except OSError as exc:
            if self.fallback is not None:
                try:
                    return _write_new(self.fallback(), name, body)
                except OSError:
                    pass
            raise ReportActionError("report_save_failed", str(exc)) from None

    # ---------------------------------------------------------------- up the chain

    def submit(self, period_label: str, note: str) -> dict[str, Any]:
        """Submit the period's report of the user's own area with a note (again: a correction)."""
        if not self.signed_in:
            raise ReportActionError("report_not_signed_in")
        if not self.may_submit:
            raise ReportActionError("forbidden_role")
        return self._remote(lambda t: t.submit_report(period_label, (note or "").strip()))

    def submissions(self, area_code: str, period_label: str, lang: str) -> dict[str, Any]:
        """GET /reports/submissions: the area's own submission, its sub-areas', the rate, the totals."""
        return self._remote(lambda t: t.report_submissions(period_label, area=area_code, lang=lang))

    def _remote(self, call: Callable[[Transport], Any]) -> Any:
        if not self.signed_in:
            raise ReportActionError("report_not_signed_in")
        s = self.account.settings
        transport = self.account.transport_for(s.server_url, allow_insecure=s.allow_insecure, ca_path=s.ca_path,
                                               token=s.token)
        try:
            return call(transport)
        except AuthError:
            raise ReportActionError("report_not_signed_in") from None
        except Forbidden as exc:
            raise ReportActionError(exc.code if exc.code in KNOWN_REFUSALS else "report_forbidden",
                                    exc.reason) from None
        except RetryLater:
            raise ReportActionError("server_busy") from None
        except Refused as exc:
            if exc.code == "tls_failed":
                raise ReportActionError("tls_failed") from None
            raise ReportActionError(exc.code if exc.code in KNOWN_REFUSALS else "report_refused",
                                    exc.reason) from None
        except SyncError as exc:  # Unreachable: no network, the server down, a cut answer
            raise ReportActionError("report_offline", exc.reason) from None
        finally:
            transport.close()


def _write_new(folder: Path, name: str, body: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, ext = name.rpartition(".")
    path, n = folder / name, 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{dot}{ext}"
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(body)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "phum-report"
