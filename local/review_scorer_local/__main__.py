"""``python -m review_scorer``."""

import sys

from review_scorer_local.cli import main

sys.exit(main())
