"""`flask --app voice voice ...` commands: migrate, seed, sample data, purge, figures, mail."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlmodel import Session, select

from .config import ROOT


def get_engine():
    from flask import current_app

    return current_app.extensions["voice_engine"]


def _app_parts():
    """The app's clock, hasher and link builder (commands run with the app, never a request)."""
    from flask import current_app

    return (current_app.extensions["voice_clock"], current_app.extensions["voice_hasher"],
            current_app.extensions["voice_links"])

voice_cli = AppGroup("voice", help="Voice administration commands.")


def alembic_config(database_url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url
    return cfg


@voice_cli.command("migrate")
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command
    from flask import current_app

    from .figures import service as figures

    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), "head")
    click.echo("Database schema is up to date.")
    with Session(get_engine()) as session:
        built = figures.fill_tally_if_empty(session)
        session.commit()
    if built is not None:
        click.echo(f"Figures: the monthly tally was empty and has been built ({built} rows).")


@voice_cli.command("figures")
@click.option("--rebuild", is_flag=True, help="Compute the monthly tally again from the experiences.")
def figures(rebuild: bool) -> None:
    """Check that the figures' monthly tally matches the experiences (exit 1 if not),
    or rebuild it (--rebuild). Safe to run at any time."""
    from .figures import service as figures

    with Session(get_engine()) as session:
        if rebuild:
            rows = figures.rebuild_tally(session)
            session.commit()
            click.echo(f"Figures: monthly tally rebuilt, {rows} rows.")
            return
        found = figures.tally_differences(session)
    if not found:
        click.echo("Figures: the monthly tally matches the experiences.")
        return
    for key, stored, counted in found:
        click.echo(f"differs at (service, domain, month, area) = {key}: stored {stored or '-'}, counted {counted or '-'}")
    click.echo("Figures: the monthly tally does not match; run `flask --app voice voice figures --rebuild`.", err=True)
    sys.exit(1)


@voice_cli.command("seed")
def seed() -> None:
    """Add the reference data (services, areas, life domains) that is missing."""
    from .reference.service import seed_reference_data

    with Session(get_engine()) as session:
        added = seed_reference_data(session=session)
        session.commit()
    click.echo(f"Reference data: {added} row(s) added.")


@voice_cli.command("sample-data")
@click.option("--if-empty", is_flag=True, help="Only when there are no experiences yet.")
@click.option("--yes", is_flag=True, help="Do not ask.")
def sample_data(if_empty: bool, yes: bool) -> None:
    """Load clearly marked SAMPLE data so a newcomer sees a living site."""
    from .experiences.models import Experience
    from .sample import load_sample_data

    with Session(get_engine()) as session:
        if if_empty and session.exec(select(Experience.id)).first() is not None:
            click.echo("Sample data skipped: the database already has experiences.")
            return
        # Offered on a terminal (default yes); without one (CI, a service manager) it just loads.
        if not yes and sys.stdin.isatty() and not click.confirm(
            "The database has no stories yet. Load clearly marked SAMPLE data so the site looks alive?", default=True
        ):
            return
        clock, hasher, _links = _app_parts()
        count = load_sample_data(session=session, now=clock.now(), hasher=hasher)
        session.commit()
    click.echo(f"Sample data: {count} sample experience(s) added, each marked [SAMPLE].")


def _job_context():
    """What a job needs, from the app's settings (the worker builds the same)."""
    from flask import current_app

    from .jobs.tasks import context_from_app

    return context_from_app(current_app)


@voice_cli.command("purge")
def purge() -> None:
    """Delete personal data whose time has come (contact details, originals, sent mail,
    sign-up lists, export files, expired rate-limit counters). One pass of the worker's nightly job."""
    from .jobs import service as jobs

    done = jobs.purge(_job_context(), actor="cli")
    click.echo("Purged: " + ", ".join(f"{name} {count}" for name, count in done.items()) + ".")


@voice_cli.command("remind")
def remind() -> None:
    """Queue reminders (with the calendar file) for sessions in the next 24-48 hours.
    One pass of the worker's hourly job; the worker sends them."""
    from .jobs import service as jobs

    click.echo(f"Reminders queued: {jobs.remind(_job_context())}.")


@voice_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option("--password", confirmation_prompt=True)
def create_admin(email: str, name: str, password: str) -> None:
    """Make an administrator account (there is no default account)."""
    from .accounts import audit, service

    issue = service.password_problem(password, email)
    if issue:
        raise click.ClickException({"short": "Use at least 8 characters.", "long": "Use at most 128 characters.",
                                    "common": "This password is too common. Choose another."}[issue])
    with Session(get_engine()) as session:
        if service.get_by_email(session=session, email=email):
            raise click.ClickException("An account with this e-mail address exists already.")
        _clock, hasher, _links = _app_parts()
        user = service.create_user(session=session, email=email, display_name=name, role="admin", password=password,
                                   hasher=hasher)
        audit.record(session, "cli", "account_created", "user", user.id, {"role": "admin"})
        session.commit()
    click.echo(f"Administrator {email} created. At first login, set up the authenticator app.")


@voice_cli.command("send-mail")
def send_mail() -> None:
    """Send queued e-mail now; refused messages are tried again later."""
    from .jobs import service as jobs

    result = jobs.send_mail(_job_context())
    if result.server_down:
        click.echo("The mail server cannot be reached; the mail waits in the outbox.", err=True)
        sys.exit(1)
    click.echo(f"Sent {result.sent}, failed {result.failed} (will retry).")


@voice_cli.command("digest")
def digest() -> None:
    """Queue an e-mail to moderators who asked for it when stories are waiting.
    One pass of the worker's morning job."""
    from .jobs import service as jobs

    click.echo(f"Digest queued for {jobs.digest(_job_context())} moderator(s).")


@voice_cli.command("worker")
def worker() -> None:
    """Say whether the job worker is running, and what waits for it (exit 1 when it is late)."""
    from .jobs import service as jobs

    context = _job_context()
    with Session(context.engine) as session:
        state = jobs.worker_state(session=session)
    now = context.clock.now()
    seen = state.last_seen.isoformat(timespec="seconds") if state.last_seen else "never"
    click.echo(f"Worker last seen: {seen}. Waiting: {state.waiting} (mail and exports).")
    if state.minutes_unseen(now) is not None:
        click.echo("The worker is not running: start `huey_consumer voice.jobs.tasks.huey` (see the README).", err=True)
        sys.exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(voice_cli)
