"""``python -m review_scorer_local``."""

import sys

from review_scorer_local.cli import main

sys.exit(main())
