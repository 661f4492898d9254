"""Compile the slang/alay -> formal Indonesian table shipped as ``detection/slang.txt``.

The normaliser maps colloquial spellings ("yg", "gak", "udh") to one formal form so that
detectors and the classifier see one spelling per word. The table is compiled here from two
public lexicons rather than copied, because both need cleaning before they are safe to apply
word by word:

* the keys must be single ASCII tokens, already in the shape the normaliser produces (lower
  case, runs of three or more letters collapsed), or they can never match;
* a key that is itself an ordinary formal word ("kaya", "minta", "si") must not be rewritten;
* when the sources disagree, the curated ``indo-normalizer`` list wins over the crowd-sourced
  lexicon, and within the lexicon the most frequent reading wins.

Run ``python -m ronda.detection.classifier.build_slang [--data-dir ../shared/data]``; the
output path defaults to the shipped table. This is a development tool: it needs the shared
datasets, the runtime only reads the compiled file.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

from ronda.detection.normalize import collapse_repeats

_KEY_RE = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
_FORMAL_RE = re.compile(r"[a-z]+(?:[ -][a-z]+)*")

# Ordinary words (or words that carry a detector signal) that must never be rewritten.
_PROTECTED = frozenset(
    {
        "kaya", "minta", "si", "say", "nampak", "koplak", "cape", "dah", "kek",
        "slot", "gacor", "jp", "wd", "depo", "bo", "vcs", "bokep", "togel", "judi",
        "maxwin", "cuan", "hoki", "pinjol", "apk", "paket", "dana", "link", "bom", "kafir",
        "jihad", "daulah", "baiat", "thaghut", "thogut", "ikhwan", "akhi", "ukhti",
        "bandar", "scatter", "admin", "bonus", "promo", "gratis", "hadiah", "transfer",
        "wa", "cd", "dm", "pm", "cs", "ig", "fb", "yt", "tg",
        "i", "in", "it", "to", "so", "do", "he", "hi", "or", "me", "is", "on", "no", "go",
        "bca", "bri", "bni", "btn", "sma", "smp", "smk", "sd", "pln", "pt", "cv", "rs", "tni",
        "dpr", "kpk", "ktp", "sim", "atm", "otp", "pin", "dp", "ojk", "cod", "vc", "id", "hp",
    }
)  # fmt: skip

# Entries where both sources are wrong or ambiguous for our texts.
_OVERRIDES = {"pd": "pada"}

HEADER = """\
# Ronda slang table: colloquial / alay Indonesian -> formal Indonesian, one pair a line
# (slang<TAB>formal). Compiled by src/ronda/detection/classifier/build_slang.py; do not edit by
# hand, re-run the script. Keys are lower case ASCII tokens with letter runs of three or more
# collapsed, as produced by ronda.detection.normalize before the table is applied.
# Sources (entries selected, cleaned and merged by the Ronda team, 2026):
#  - indo-normalizer 1.2.0, corpus/slangs.csv (PyPI package, MIT licence); preferred on conflict.
#  - Colloquial Indonesian Lexicon ("kamus alay"), github.com/nasalsabila/kamus-alay,
#    commit c710fa9; no licence stated; please cite: N. A. Salsabila, Y. A. Winatmoko,
#    A. A. Septiandri and A. Jamal, "Colloquial Indonesian Lexicon", IALP 2018,
#    doi:10.1109/IALP.2018.8629151.
"""


def _clean_key(raw: str) -> str | None:
    key = collapse_repeats(raw.strip().lower())
    # Single characters are too ambiguous ("m-banking", "x", "a.n.") to rewrite.
    if len(key) < 2 or not _KEY_RE.fullmatch(key) or key in _PROTECTED:
        return None
    return key


def _clean_formal(raw: str) -> str | None:
    formal = " ".join(raw.strip().lower().split())
    return formal if _FORMAL_RE.fullmatch(formal) else None


def compile_table(data_dir: Path) -> dict[str, str]:
    """Merge the two lexicons under ``data_dir`` into one slang -> formal mapping."""
    curated: dict[str, set[str]] = defaultdict(set)
    with (data_dir / "lexicon-indo-normalizer" / "slangs.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key, formal = _clean_key(row["slang"]), _clean_formal(row["formal"])
            if key and formal and key != formal:
                curated[key].add(formal)

    votes: dict[str, Counter[str]] = defaultdict(Counter)
    lexicon = data_dir / "lexicon-colloquial-indonesian" / "colloquial-indonesian-lexicon.csv"
    with lexicon.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key, formal = _clean_key(row["slang"]), _clean_formal(row["formal"])
            if key and formal and key != formal:
                votes[key][formal] += 1

    table = {key: counter.most_common(1)[0][0] for key, counter in votes.items()}
    for key, formals in curated.items():
        if len(formals) == 1:
            table[key] = next(iter(formals))
        elif key not in table:
            table[key] = sorted(formals)[0]  # the curated list disagrees with itself
    table.update(_OVERRIDES)
    # A key that is the formal reading of another entry is a real word: leave it alone.
    formal_words = {w for formal in table.values() for w in formal.split()}
    return {k: v for k, v in sorted(table.items()) if k not in formal_words}


def write_table(table: dict[str, str], out: Path) -> None:
    lines = [HEADER] + [f"{k}\t{v}\n" for k, v in table.items()]
    out.write_text("".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "slang.txt"
    )
    args = parser.parse_args(argv)
    table = compile_table(args.data_dir)
    write_table(table, args.out)
    print(f"wrote {len(table)} entries to {args.out}")


if __name__ == "__main__":  # pragma: no cover
    main()
