"""Registration, login, token refresh and request authentication."""
