"""``python -m briefgen``: the command line."""

import os
import sys

# ``python -m`` puts the working folder, i.e. the workspace, first on the import path: a
# stray yaml.py or jinja2.py there would be imported instead of the real library and run.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from briefgen.cli import main  # noqa: E402  (after the path is made safe)

sys.exit(main())
