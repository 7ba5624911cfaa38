"""Rendering a package plan into files: code modules, pipeline, tests, project files."""
