"""tqdm progress bars for the fleet commands, silent at verbosity 0."""

import sys

from tqdm import tqdm


def progress_factory(verbosity: int):
    def factory(total: int, desc: str):
        return tqdm(total=total, desc=desc, unit="row", file=sys.stderr,
                    disable=verbosity < 1, leave=verbosity > 1, dynamic_ncols=True,
                    mininterval=0.5)
    return factory
