"""Processor module: queue-driven FFmpeg HLS ladder, the worker, and the admin queue API."""

from flask import Flask

from videoforge.modules import Module
from videoforge.modules.processor import config


def _blueprints():
    from videoforge.modules.processor.api import blp

    return [blp]


def _cli():
    from videoforge.modules.processor.cli import commands

    return commands()


def _setup(app: Flask) -> None:
    from videoforge.modules.processor.worker import init_in_process_workers

    init_in_process_workers(app)


module = Module(name="processor", blueprints=_blueprints, config=config, cli=_cli, setup=_setup)
