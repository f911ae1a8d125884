"""The lens text of a case line (tessel-bench's `--case FUNCTION LENS` grammar,
runtime/schedule/LensSpec.h): comma-separated parts, each a length or COUNTxLENGTH."""


def parse_lens(text):
    """The sequence lengths of `text`, e.g. "131072,7x1024" -> [131072, 1024, ... (7)]."""
    lens = []
    for part in text.split(","):
        count, _, length = part.rpartition("x")
        lens += [int(length)] * (int(count) if count else 1)
    return lens


def short_lens(text):
    """The lens text as given, or for long lists "N seqs MIN..MAX" (parts like 7x1024
    count as 7 sequences of 1024): the tables' name of a case."""
    if len(text) <= 30:
        return text
    values = parse_lens(text)
    return f"{len(values)} seqs {min(values)}..{max(values)}"
