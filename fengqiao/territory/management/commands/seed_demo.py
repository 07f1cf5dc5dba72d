"""Load synthetic demo data: ``seed_demo --profile town|county|tiny [--seed N] [--if-empty]``."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.territory.seeding import PROFILES, SeedingRefused, database_has_areas, seed


class Command(BaseCommand):
    help = "Fill an empty database with synthetic demo data (no real person's data): " + "; ".join(
        f"{name}: {profile.description}" for name, profile in PROFILES.items()
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", choices=sorted(PROFILES), default="town")
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed: the same seed, the same data"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already has areas",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        profile: str = options["profile"]
        if database_has_areas():
            if options["if_empty"]:
                self.stdout.write("The database already has areas: no demo data loaded.")
                return
            raise CommandError(
                "The database already has areas; demo data goes into an empty database only "
                "(use --if-empty to skip quietly)."
            )
        started = time.perf_counter()
        verbose = options["verbosity"] >= 1

        def progress(stage: str, count: int) -> None:
            if verbose:
                elapsed = time.perf_counter() - started
                self.stdout.write(f"{elapsed:8.1f} s  {stage:<32} {count:>9,}")

        if verbose:
            self.stdout.write(f"Seeding profile {profile!r} (seed {options['seed']}) …")
        try:
            summary = seed(profile=profile, seed=options["seed"], progress=progress)
        except SeedingRefused as error:
            raise CommandError(str(error)) from error
        if verbose:
            counts = ", ".join(
                f"{label.split('.')[-1]} {count:,}" for label, count in summary.counts.items()
            )
            self.stdout.write(self.style.SUCCESS(f"Done in {summary.seconds:.1f} s: {counts}."))
