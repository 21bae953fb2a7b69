"""``python -m helpers.synth [FOLDER]`` (``make data``): generate and write the sample data."""

import sys

from helpers.synth.build import main

sys.exit(main())
