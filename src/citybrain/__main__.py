"""``python -m citybrain`` runs the command line."""

from citybrain.cli import app

app(prog_name="citybrain")
