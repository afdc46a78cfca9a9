"""Check that every QaTa-COV19 / MosMedData+ caption of an annotation file parses.

Usage (from the repository root; vlseg itself need not be pip-installed)::

    python tools/misc/check_captions.py ANNOTATION [--split NAME] [--strict]

ANNOTATION is one of

* SGSeg's ``prompts/annotation.json``: ``{split: [{image_path, caption,
  pulmonary_infection, infected_area, pseudo_label[6]}]}`` (all splits unless
  ``--split``); a top-level list of such records is read too;
* LViT's ``Train_text.xlsx`` / ``Val_text.xlsx`` / ``Test_text.xlsx`` (columns
  ``Image`` and ``Description``);
* a CSV file with columns ``Image`` and ``Description``.

Each caption is parsed with :func:`vlseg.text.caption.parse_caption`; for each
one that fails a line ``FILE: RECORD: error`` is printed. For records with a
``pseudo_label`` the parsed location labels are compared with it and each
disagreement is printed the same way. The last line is
``parsed N/M, location labels agree A/B`` (B = records with a pseudo_label).
``--strict`` also rejects captions whose "bilateral"/"unilateral" contradicts
the lungs they name.

Exit status: 0 when everything parses and agrees, 1 otherwise, 2 when the file
cannot be read or is of an unknown kind.
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # Lets `python tools/misc/check_captions.py` run from a clone without install.
    sys.path.insert(0, str(REPO_ROOT))

from vlseg.datasets.layout_utils import AnnotationFileError, read_annotation_records
from vlseg.text.caption import CaptionParseError, parse_caption

# A record: (name, caption, pseudo_label or None).
Record = tuple[str, object, object]


def read_records(path: str | Path, split: str | None = None) -> list[Record]:
    """Read ``(name, caption, pseudo_label or None)`` records from ``path``.

    Raises:
        AnnotationFileError: unreadable file or unknown kind.
    """
    return [(name, caption, labels)
            for _, name, caption, labels in read_annotation_records(str(path), split)]


def _is_missing(caption: object) -> bool:
    return caption is None or (isinstance(caption, float) and math.isnan(caption))


@dataclass
class CheckResult:
    """Outcome of :func:`check`: the failure lines and the counts."""

    messages: list[str] = field(default_factory=list)
    parsed: int = 0
    total: int = 0
    agree: int = 0
    labelled: int = 0

    @property
    def ok(self) -> bool:
        return self.parsed == self.total and self.agree == self.labelled

    @property
    def summary(self) -> str:
        return (f'parsed {self.parsed}/{self.total}, location labels agree '
                f'{self.agree}/{self.labelled}')


def check(records: Sequence[Record], file: str, strict: bool = False) -> CheckResult:
    """Parse every record's caption and compare with its pseudo_label, if any."""
    out = CheckResult(total=len(records))
    for name, caption, pseudo_label in records:
        source = f'{file}: {name}'
        result = None
        try:
            if _is_missing(caption):
                raise CaptionParseError(source, 'caption is empty (missing value)')
            result = parse_caption(str(caption), source, strict=strict)
        except CaptionParseError as e:
            out.messages.append(str(e))
        else:
            out.parsed += 1
        if pseudo_label is None:
            continue
        out.labelled += 1
        if result is None:
            continue
        labels = result.location_labels()
        try:
            expected = [int(v) for v in pseudo_label]
        except (TypeError, ValueError):
            expected = pseudo_label
        if labels == expected:
            out.agree += 1
        else:
            out.messages.append(
                f'{source}: location labels {labels} from the caption disagree with '
                f'pseudo_label {pseudo_label}')
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Parse every caption of a QaTa-COV19 / MosMedData+ annotation file '
        '(SGSeg annotation.json, LViT *_text.xlsx, or CSV with Image,Description).')
    parser.add_argument('annotation', help='annotation.json, .xlsx or .csv file')
    parser.add_argument('--split', default=None,
                        help='only this split of an annotation.json (default: all)')
    parser.add_argument('--strict', action='store_true',
                        help='reject "bilateral"/"unilateral" that contradicts the zones')
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; return the exit status (0 ok, 1 failures, 2 bad file)."""
    try:
        args = parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or usage error (2)
        return e.code if isinstance(e.code, int) else 2
    try:
        records = read_records(args.annotation, args.split)
    except AnnotationFileError as e:
        print(f'check_captions: error: {e}', file=sys.stderr)
        return 2
    result = check(records, args.annotation, strict=args.strict)
    for line in result.messages:
        print(line)
    print(result.summary)
    return 0 if result.ok else 1


if __name__ == '__main__':
    sys.exit(main())
