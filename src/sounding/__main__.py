from sounding.cli import run

run()
