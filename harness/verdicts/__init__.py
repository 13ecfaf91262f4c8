"""Verdicts and reports: how a check fails (verdict, evidence), what a failed check leaves
behind (artifacts, timeline), and the conformance report. Imports the seam and the browser
side."""
