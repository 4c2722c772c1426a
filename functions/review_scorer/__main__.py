"""``python -m review_scorer``."""

import sys

from review_scorer.cli import main

sys.exit(main())
