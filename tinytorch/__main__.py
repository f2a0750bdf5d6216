"""`python -m tinytorch` is `tito`."""

import sys

from .cli import main

sys.exit(main())
