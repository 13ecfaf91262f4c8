"""The seam to the backend: its test-control API over HTTP (client), what it says about itself
(facts), the requests it saw (journal), and a client outside the browser (outsider).
Imports nothing else of the harness."""
