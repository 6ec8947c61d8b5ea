"""Where the shared fixtures live: `../shared` beside the checkout, or $NIANBAO_SHARED."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NIANBAO_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "fixtures" / "real"
SEEDS = SHARED / "seeds"
