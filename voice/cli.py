"""`flask --app voice voice ...` commands: migrate, seed, sample data, purge."""
from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup
from sqlmodel import Session, select

from .config import ROOT
from .db import get_engine

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

    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), "head")
    click.echo("Database schema is up to date.")


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
        if not yes and not click.confirm("Load SAMPLE data into this database?", default=True):
            return
        count = load_sample_data(session=session)
        session.commit()
    click.echo(f"Sample data: {count} sample experience(s) added, each marked [SAMPLE].")


@voice_cli.command("purge")
def purge() -> None:
    """Delete personal data whose time has come (contact details past their date)."""
    from .experiences.service import purge_expired_contacts

    with Session(get_engine()) as session:
        removed = purge_expired_contacts(session=session, today=date.today())
        session.commit()
    click.echo(f"Purged {removed} contact detail record(s).")


def init_app(app: Flask) -> None:
    app.cli.add_command(voice_cli)
