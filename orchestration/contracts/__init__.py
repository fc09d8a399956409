"""The messages and files other programs read, as typed models.

`notice` (the completion notice on `tickstock.eod.complete`), `steps` (the
entries of `tickstock:eod:runs`), `run_record` (`run_<id>.json`) and
`quality` (`quality_report.json`). `schemas` writes their JSON Schemas into
`docs/schemas/`. Models import nothing of ours but each other.
"""
