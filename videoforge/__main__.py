"""`python -m videoforge` runs the CLI."""

from videoforge.cli import main

main()
