"""The lens text of a case line (tessel-bench's `--case FUNCTION LENS` grammar,
runtime/schedule/LensSpec.h): comma-separated parts, each a length or COUNTxLENGTH."""


def parse_lens(text):
    """The sequence lengths of `text`, e.g. "131072,7x1024" -> [131072, 1024, ... (7)]."""
    lens = []
    for part in text.split(","):
        count, _, length = part.rpartition("x")
        lens += [int(length)] * (int(count) if count else 1)
    return lens
