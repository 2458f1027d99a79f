"""Settings for the test suite: the production settings with ``MOTCUA_ENV=test`` as default."""

import os

os.environ.setdefault("MOTCUA_ENV", "test")

from motcua.settings import *  # noqa: E402,F401,F403
