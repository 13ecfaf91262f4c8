"""The browser side: the SPA driver, what the pages do (watch, probes), the page and backend
clocks, and which browser runs (launch, a shared browser server). Imports the seam only."""
