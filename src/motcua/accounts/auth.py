"""Authentication for the JSON API: ``auth=api_auth`` accepts a personal token
(``Authorization: Bearer <token>``) or the browser session (with its CSRF check)."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from motcua.accounts.services import user_for_token


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api_auth = [ApiTokenAuth(), SessionAuth(csrf=True)]
