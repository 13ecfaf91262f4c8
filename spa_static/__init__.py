"""The reference SPA: static files served by mock_backend (see index.html)."""
