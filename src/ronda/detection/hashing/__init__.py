"""Hash banks of known harmful content: near-duplicate text, PDQ images, file hashes.

Everything here is pure and in memory; storing banks and flood state is done
elsewhere.  See docs/hash-banks.md.
"""

from ronda.detection.hashing.banks import (
    CATEGORIES,
    COLUMNS,
    SIGNAL_TYPES,
    BankEntry,
    BankImportError,
    BankLineError,
    BankMatch,
    HashBanks,
    ImportResult,
    export_entries,
    import_entries,
    parse_entry,
    read_bank_file,
)
from ronda.detection.hashing.files import FileHashIndex, FileMatch, file_digests
from ronda.detection.hashing.flood import EntryFloodState, FloodDecision, FloodGuard
from ronda.detection.hashing.pdq import (
    DEFAULT_PDQ_THRESHOLD,
    PdqIndex,
    PdqMatch,
    pdq_distance,
    pdq_from_image,
)
from ronda.detection.hashing.text import TextIndex, TextMatch, canonical_text

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "DEFAULT_PDQ_THRESHOLD",
    "SIGNAL_TYPES",
    "BankEntry",
    "BankImportError",
    "BankLineError",
    "BankMatch",
    "EntryFloodState",
    "FileHashIndex",
    "FileMatch",
    "FloodDecision",
    "FloodGuard",
    "HashBanks",
    "ImportResult",
    "PdqIndex",
    "PdqMatch",
    "TextIndex",
    "TextMatch",
    "canonical_text",
    "export_entries",
    "file_digests",
    "import_entries",
    "parse_entry",
    "pdq_distance",
    "pdq_from_image",
    "read_bank_file",
]
