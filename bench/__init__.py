"""Measurements of the harness, the reference SPA and the mock backend on this machine.

`python -m bench` runs every part and writes `bench/results.json` and
`docs/performance.md`; `python -m bench --help` lists the options for partial runs.
"""
