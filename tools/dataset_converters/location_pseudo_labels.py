"""SGSeg's location pseudo-labels of QaTa-COV19 captions, made two ways, and how far they agree.

Usage (from the repository root; vlseg itself need not be pip-installed)::

    python tools/dataset_converters/location_pseudo_labels.py ANNOTATION \
        [--out FILE | --out-dir DIR] [--split NAME] [--model-path DIR [--trust-remote-code]] \
        [--min-cluster-size 3] [--min-samples N] [--metric euclidean|cosine] \
        [--cluster-selection-method eom|leaf] [--cluster-selection-epsilon 0.0]

SGSeg (Ye et al., MICCAI 2024) trains its location detector (LERG) against six labels per
image, ``[L-upper, L-middle, L-lower, R-upper, R-middle, R-lower]`` (the order of the
``pseudo_label`` field of its ``prompts/annotation.json``; "left"/"right" are image sides, as
written in the captions). The paper makes them by clustering BERT embeddings of the captions'
location phrases with HDBSCAN; the released code parses the captions. This tool does both:

* ``parser``: :func:`vlseg.text.parse_caption` and ``location_labels()`` (the grammar of
  ``vlseg/text/caption.py``; a caption it cannot read gets ``null`` and is reported with its
  image name, the HDBSCAN labels are made regardless);
* ``hdbscan``, as the paper describes it:

  1. **Phrases.** Each caption's location part is split into location phrases (``"upper
     middle left lung"``, ``"lower right lung"``, LViT's ``"all left lung"``, typos such as
     ``"upper midlle left lung"`` kept as written). Only the phrase boundaries are read, not
     the zones: the text is lower-cased and cut into words at blanks and punctuation; the
     location part starts after the word "area(s)" (or a misspelling of it: vlseg's
     :data:`~vlseg.text.caption.TYPOS` table or a close ``difflib`` match), or after the last
     comma when there is none; it is cut after every "lung(s)" word (likewise), a leading
     "and" is dropped, and words after the last "lung" form a phrase of their own.
  2. **Embeddings.** Each distinct phrase is embedded once with a text encoder (vlseg's
     ``HFTextEncoder``: default the embedded, offline all-MiniLM-L6-v2; ``--model-path`` a
     local BERT-family folder such as CXR-BERT, with ``--trust-remote-code``): the last
     hidden state mean-pooled over the phrase's tokens, then L2-normalised.
  3. **Clustering.** Every phrase *occurrence* is one point (a phrase in 800 captions is 800
     identical points), so that frequent wordings are dense and rare variants and typos
     sparse. ``sklearn.cluster.HDBSCAN`` clusters them (``--min-cluster-size``,
     ``--min-samples``, ``--cluster-selection-method``, ``--cluster-selection-epsilon``);
     metric ``euclidean`` on the normalised embeddings (default; the same order as cosine
     distance, and tree-accelerated) or ``cosine``.
  4. **Noise.** Points HDBSCAN calls noise are assigned to the cluster whose centroid (the
     normalised mean of its members' embeddings) is nearest by cosine similarity; the count
     of noise points is printed and stored. So every phrase has a cluster (when HDBSCAN
     finds no cluster at all, every point is noise and they all form one cluster).
  5. **Naming.** A cluster's zones are read from the words of its medoid, the distinct
     member phrase with the least occurrence-weighted sum of distances to the cluster's
     points: the level words ``upper``, ``middle``, ``lower`` (``all`` = all three) and the
     side words ``left``, ``right`` (both, when both are written). When the medoid has no
     level word or no side word, the next most central member that has both names the
     cluster; a cluster none of whose members does gets no zones (reported).
  6. **Labels.** Every member phrase takes its cluster's zones, and a caption's labels are
     the union of its phrases' zones.

  So a typo or variant wording ("upper midlle left lung", "middle upper left lung")
  inherits its zones from the embedding's neighbourhood, not from a parse.

  The authors' script (SGSeg ``data/QaTa/prompts/cluster.py``) embeds each caption's whole
  location part (after its last ", ") with CXR-BERT, mean-pooled, and clusters the
  occurrences with ``HDBSCAN(min_cluster_size=3)`` (our default too); it stops at cluster
  ids. Splitting the part per lung and naming clusters by their medoid's words, so that
  clusters become the six labels, is ours.

ANNOTATION is SGSeg's ``prompts/annotation.json`` ``{split: [{image_path, caption,
pulmonary_infection, infected_area, pseudo_label[6]}]}`` (all splits unless ``--split``;
a top-level list of such records is read too), or a caption table (LViT's
``*_text.xlsx`` or a ``.csv`` with columns ``Image``, ``Description``, read by
:func:`vlseg.datasets.layout_utils.read_caption_table`).

Output: a JSON file, by default ``<annotation stem>_location_labels.json`` beside the
annotation (``--out-dir DIR``: that name in DIR; ``--out FILE``: that file); the input is
never overwritten. It holds::

    {"annotation": "...", "zones": ["L-upper", ..., "R-lower"],
     "labels": {IMAGE: {"split": "train", "parser": [6] | null, "hdbscan": [6] | null,
                        "pseudo_label": [6] (when the annotation has it),
                        "phrases": ["lower left lung", ...]}},
     "hdbscan": {"model": ..., parameters, "points", "distinct_phrases", "clusters": K,
                 "noise": N, "cluster_table": [{"id", "zones", "medoid", "size",
                 "noise_assigned": {phrase: count}, "members": {phrase: count}}]},
     "errors": ["FILE: IMAGE: why", ...]}

IMAGE is the record's ``image_path`` (or table ``Image``) as written; a name met again in
another record is keyed ``SPLIT/IMAGE`` (or ``IMAGE#k``).

Printed: the cluster table, each caption the parser (or the phrase splitter) cannot read,
and the agreement of ``parser`` vs ``hdbscan`` (and of each vs the annotation's own
``pseudo_label`` when present): the accuracy of each of the six labels and the exact-match
rate (all six equal), over the records both sides label.

Exit status: 0 when the file is written, 2 when the annotation cannot be read, has no
caption, or no location phrase could be clustered.
"""
from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # Lets `python tools/dataset_converters/location_pseudo_labels.py` run without install.
    sys.path.insert(0, str(REPO_ROOT))

from vlseg.datasets.layout_utils import (  # noqa: E402
    AnnotationFileError,
    read_annotation_records,
)
from vlseg.text.caption import TYPOS, ZONE_NAMES, CaptionParseError, parse_caption  # noqa: E402

_LEVELS = ('upper', 'middle', 'lower')
_WORD_RE = re.compile(r"[^\s,.;:!?()\"']+")


class AnnotationError(Exception):
    """The annotation cannot be read, has no caption, or gives nothing to cluster."""


@dataclass
class Record:
    split: str
    name: str
    caption: str | None
    pseudo_label: list[int] | None = None
    parser: list[int] | None = None
    hdbscan: list[int] | None = None
    phrases: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading
def _as_labels(value) -> list[int] | None:
    try:
        labels = [int(v) for v in value]
    except (TypeError, ValueError):
        return None
    return labels if len(labels) == len(ZONE_NAMES) else None


def _caption_of(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def read_records(path: str | Path, split: str | None = None) -> list[Record]:
    """Read the records of an annotation.json, .xlsx/.xls or .csv caption table."""
    try:
        rows = read_annotation_records(str(path), split, require_caption_key=False)
    except AnnotationFileError as e:
        raise AnnotationError(str(e)) from e
    records = [Record(split_name, name, _caption_of(caption), _as_labels(labels))
               for split_name, name, caption, labels in rows]
    if not any(r.caption for r in records):
        raise AnnotationError(f'{path} has no caption (records: {len(records)})')
    return records


# --------------------------------------------------------------------------- phrases
def _is_word(word: str, targets: tuple[str, ...]) -> bool:
    if word in targets or TYPOS.get(word) in targets:
        return True
    return len(word) >= 4 and bool(difflib.get_close_matches(word, targets, n=1, cutoff=0.8))


def location_phrases(caption: str) -> list[str]:
    """Split a caption's location part into location phrases (words as written, lower case).

    ``"Bilateral pulmonary infection, two infected areas, all left lung and midlle lower
    right lung."`` -> ``['all left lung', 'midlle lower right lung']``. Only the boundaries
    are found (the "area(s)" word, or the last comma; each "lung(s)" word; a leading "and");
    nothing is labelled here.
    """
    words = _WORD_RE.findall(caption.lower())
    start = next((i + 1 for i, w in enumerate(words) if _is_word(w, ('area', 'areas'))), None)
    if start is None:
        tail = caption.lower().rsplit(',', 1)[-1]
        words = _WORD_RE.findall(tail)
        start = 0
    phrases, current = [], []
    for word in words[start:]:
        if not current and word == 'and':
            continue
        current.append(word)
        if _is_word(word, ('lung', 'lungs')):
            phrases.append(' '.join(current))
            current = []
    if current:
        phrases.append(' '.join(current))
    return phrases


def zones_of_words(phrase: str) -> list[int] | None:
    """Six zone flags read from a phrase's level and side words; None without both kinds."""
    words = set(phrase.split())
    levels = set(_LEVELS) if 'all' in words else words.intersection(_LEVELS)
    sides = words.intersection(('left', 'right'))
    if not levels or not sides:
        return None
    flags = [0] * len(ZONE_NAMES)
    for side in sides:
        offset = 0 if side == 'left' else 3
        for k, level in enumerate(_LEVELS):
            if level in levels:
                flags[offset + k] = 1
    return flags


# --------------------------------------------------------------------------- clustering
def embed_phrases(phrases: Sequence[str], model_path: str | None = None,
                  trust_remote_code: bool = False, batch_size: int = 64,
                  max_length: int = 32):
    """L2-normalised, mean-pooled last-hidden-state embeddings ``(N, C)`` (numpy float32)."""
    import numpy as np
    import torch

    import vlseg  # noqa: F401  (stack fixes before mmseg is imported)
    from vlseg.models.text_encoders.hf_text_encoder import HFTextEncoder

    encoder = HFTextEncoder(model_path=model_path, frozen=True, pooling='mean',
                            max_length=max_length, cache_size=0,
                            trust_remote_code=trust_remote_code)
    out = []
    with torch.no_grad():
        for i in range(0, len(phrases), batch_size):
            pooled = encoder(captions=list(phrases[i:i + batch_size]))['pooled']
            out.append(torch.nn.functional.normalize(pooled.float(), dim=1).numpy())
    return np.concatenate(out).astype(np.float32), encoder.model_path


@dataclass
class Clustering:
    zones: dict[str, list[int] | None]  # distinct phrase -> its cluster's zones
    table: list[dict]
    points: int
    noise: int


def cluster_phrases(counts: Counter, embeddings, *, min_cluster_size: int = 3,
                    min_samples: int | None = None, metric: str = 'euclidean',
                    cluster_selection_method: str = 'eom',
                    cluster_selection_epsilon: float = 0.0) -> Clustering:
    """HDBSCAN over phrase occurrences; noise to the nearest centroid; name by medoid.

    Args:
        counts: distinct phrase -> occurrences, in the row order of ``embeddings``.
        embeddings: ``(len(counts), C)`` L2-normalised embeddings of the distinct phrases.
    """
    import numpy as np
    from sklearn.cluster import HDBSCAN

    phrases = list(counts)
    index = np.repeat(np.arange(len(phrases)), [counts[p] for p in phrases])
    points = embeddings[index]
    if len(points) < 2:
        raise AnnotationError(f'only {len(points)} location phrase(s): nothing to cluster')
    hdb = HDBSCAN(min_cluster_size=max(2, min(min_cluster_size, len(points))),
                  min_samples=min_samples, metric=metric,
                  cluster_selection_method=cluster_selection_method,
                  cluster_selection_epsilon=cluster_selection_epsilon, copy=True)
    labels = hdb.fit(points).labels_
    noise_mask = labels < 0
    n_noise = int(noise_mask.sum())
    ids = sorted(int(c) for c in set(labels.tolist()) if c >= 0)
    if not ids:  # all noise (too few points for min_cluster_size): one cluster of all
        labels = np.zeros_like(labels)
        ids = [0]
    centroids = np.stack([points[labels == c].mean(0) for c in ids])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True).clip(1e-12)
    if noise_mask.any():
        nearest = (points[noise_mask] @ centroids.T).argmax(1)
        labels = labels.copy()
        labels[noise_mask] = np.asarray(ids)[nearest]

    zones: dict[str, list[int] | None] = {}
    table = []
    for c in ids:
        in_cluster = labels == c
        sizes = np.bincount(index[in_cluster], minlength=len(phrases))
        assigned = np.bincount(index[in_cluster & noise_mask], minlength=len(phrases))
        rows = np.flatnonzero(sizes)
        names = [phrases[k] for k in rows]
        cosine = np.clip(1.0 - embeddings[rows] @ embeddings[rows].T, 0.0, None)
        distance = cosine if metric == 'cosine' else np.sqrt(2.0 * cosine)
        centrality = (distance * sizes[rows][None, :]).sum(1)
        order = np.argsort(centrality, kind='stable')
        medoid = names[order[0]]
        named_by, cluster_zones = None, None
        for k in order:
            cluster_zones = zones_of_words(names[k])
            if cluster_zones is not None:
                named_by = names[k]
                break
        members = sorted(((names[i], int(sizes[r])) for i, r in enumerate(rows)),
                         key=lambda item: -item[1])
        for p in names:
            zones[p] = cluster_zones
        noise_assigned = {names[i]: int(assigned[r]) for i, r in enumerate(rows) if assigned[r]}
        table.append(dict(id=c, zones=cluster_zones, medoid=medoid, named_by=named_by,
                          size=int(sizes.sum()), noise_assigned=noise_assigned,
                          members=dict(members)))
    return Clustering(zones, table, len(points), n_noise)


# --------------------------------------------------------------------------- agreement
def agreement(pairs: Sequence[tuple[list[int], list[int]]]) -> tuple[list[float], float]:
    """Per-zone accuracy and exact-match rate (fractions) of ``(a, b)`` label pairs."""
    n = len(pairs)
    if not n:
        return [float('nan')] * len(ZONE_NAMES), float('nan')
    per_zone = [sum(a[k] == b[k] for a, b in pairs) / n for k in range(len(ZONE_NAMES))]
    exact = sum(a == b for a, b in pairs) / n
    return per_zone, exact


def agreement_lines(records: Sequence[Record]) -> list[str]:
    header = f'{"agreement (%)":<26}{"n":>6} ' + ' '.join(f'{z:>8}' for z in ZONE_NAMES)
    lines = [header + f'{"exact":>8}']
    comparisons = [('parser vs hdbscan', 'parser', 'hdbscan'),
                   ('parser vs pseudo_label', 'parser', 'pseudo_label'),
                   ('hdbscan vs pseudo_label', 'hdbscan', 'pseudo_label')]
    for title, a, b in comparisons:
        pairs = [(getattr(r, a), getattr(r, b)) for r in records
                 if getattr(r, a) is not None and getattr(r, b) is not None]
        if b == 'pseudo_label' and not any(r.pseudo_label is not None for r in records):
            continue
        per_zone, exact = agreement(pairs)
        lines.append(f'{title:<26}{len(pairs):>6} '
                     + ' '.join(f'{100 * v:>8.2f}' for v in per_zone) + f'{100 * exact:>8.2f}')
    return lines


# --------------------------------------------------------------------------- main
def default_output(annotation: Path, out_dir: str | None) -> Path:
    folder = Path(out_dir) if out_dir else annotation.parent
    return folder / f'{annotation.stem}_location_labels.json'


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SGSeg's six location pseudo-labels of QaTa captions, from the caption "
        'parser and from HDBSCAN clustering of location-phrase embeddings, with their '
        'agreement.')
    parser.add_argument('annotation', help='annotation.json, .xlsx/.xls or .csv caption table')
    out = parser.add_mutually_exclusive_group()
    out.add_argument('--out', default=None, help='output JSON file')
    out.add_argument('--out-dir', default=None,
                     help='folder for <annotation stem>_location_labels.json '
                     '(default: beside the annotation)')
    parser.add_argument('--split', default=None,
                        help='only this split of an annotation.json (default: all)')
    parser.add_argument('--model-path', default=None,
                        help='local BERT-family model folder (default: embedded all-MiniLM-L6-v2)')
    parser.add_argument('--trust-remote-code', action='store_true',
                        help='for models whose class ships with the checkpoint (CXR-BERT)')
    parser.add_argument('--min-cluster-size', type=int, default=3,
                        help='3 as the authors\' data/QaTa/prompts/cluster.py')
    parser.add_argument('--min-samples', type=int, default=None,
                        help='HDBSCAN min_samples (default: min_cluster_size)')
    parser.add_argument('--metric', choices=('euclidean', 'cosine'), default='euclidean',
                        help='euclidean on L2-normalised embeddings (default) or cosine')
    parser.add_argument('--cluster-selection-method', choices=('eom', 'leaf'), default='eom')
    parser.add_argument('--cluster-selection-epsilon', type=float, default=0.0)
    parser.add_argument('--batch-size', type=int, default=64, help='phrases per encoder batch')
    return parser.parse_args(argv)


def _keyed(records: Sequence[Record]) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for i, rec in enumerate(records):
        key = rec.name
        if key in out:
            key = f'{rec.split}/{rec.name}' if rec.split else f'{rec.name}#{i}'
        out[key] = rec
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tool; return the exit status (0 written, 2 unreadable or nothing to cluster)."""
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2
    t0 = time.perf_counter()
    annotation = Path(args.annotation)
    out_path = Path(args.out) if args.out else default_output(annotation, args.out_dir)
    if annotation.exists() and out_path.exists() and os.path.samefile(annotation, out_path):
        print(f'location_pseudo_labels: error: output {out_path} is the annotation itself',
              file=sys.stderr)
        return 2
    try:
        records = read_records(annotation, args.split)
        errors = []
        counts: Counter = Counter()
        for rec in records:
            source = f'{annotation}: {rec.name}'
            if rec.caption is None:
                errors.append(f'{source}: caption is empty (missing value)')
                continue
            try:
                rec.parser = parse_caption(rec.caption, source).location_labels()
            except CaptionParseError as e:
                errors.append(f'{e} (parser)')
            rec.phrases = location_phrases(rec.caption)
            if not rec.phrases:
                errors.append(f'{source}: no location phrase in caption {rec.caption!r} '
                              '(hdbscan)')
            counts.update(rec.phrases)
        if not counts:
            raise AnnotationError(f'{annotation}: no location phrase in any caption')
        t_embed = time.perf_counter()
        embeddings, model_path = embed_phrases(
            list(counts), args.model_path, args.trust_remote_code, args.batch_size)
        t_cluster = time.perf_counter()
        clustering = cluster_phrases(
            counts, embeddings, min_cluster_size=args.min_cluster_size,
            min_samples=args.min_samples, metric=args.metric,
            cluster_selection_method=args.cluster_selection_method,
            cluster_selection_epsilon=args.cluster_selection_epsilon)
        t_done = time.perf_counter()
    except (AnnotationError, FileNotFoundError) as e:
        print(f'location_pseudo_labels: error: {e}', file=sys.stderr)
        return 2

    for rec in records:
        phrase_zones = [clustering.zones.get(p) for p in rec.phrases]
        phrase_zones = [z for z in phrase_zones if z is not None]
        if phrase_zones:
            rec.hdbscan = [int(any(z[k] for z in phrase_zones)) for k in range(len(ZONE_NAMES))]
        elif rec.phrases:
            errors.append(f'{annotation}: {rec.name}: no phrase of {rec.phrases} is in a named '
                          'cluster (hdbscan)')

    labels = {}
    for key, rec in _keyed(records).items():
        entry = dict(split=rec.split, parser=rec.parser, hdbscan=rec.hdbscan)
        if rec.pseudo_label is not None:
            entry['pseudo_label'] = rec.pseudo_label
        entry['phrases'] = rec.phrases
        labels[key] = entry
    result = dict(
        annotation=str(annotation), zones=list(ZONE_NAMES), labels=labels,
        hdbscan=dict(model=model_path, min_cluster_size=args.min_cluster_size,
                     min_samples=args.min_samples, metric=args.metric,
                     cluster_selection_method=args.cluster_selection_method,
                     cluster_selection_epsilon=args.cluster_selection_epsilon,
                     points=clustering.points, distinct_phrases=len(counts),
                     clusters=len(clustering.table), noise=clustering.noise,
                     cluster_table=clustering.table),
        errors=errors)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1), encoding='utf-8')

    for row in clustering.table:
        zone_names = ('none' if row['zones'] is None else
                      ','.join(z for z, f in zip(ZONE_NAMES, row['zones']) if f))
        variants = [p for p in row['members'] if p != row['medoid']]
        noise = (f'; noise assigned here: {row["noise_assigned"]}'
                 if row['noise_assigned'] else '')
        print(f'cluster {row["id"]:>2}: {row["size"]:>5} points, medoid {row["medoid"]!r} -> '
              f'{zone_names}' + (f'; also {variants}' if variants else '') + noise)
    for line in errors:
        print(line)
    n_parsed = sum(r.parser is not None for r in records)
    n_hdb = sum(r.hdbscan is not None for r in records)
    print(f'records {len(records)}: parser labelled {n_parsed}, hdbscan labelled {n_hdb}')
    print(f'hdbscan: {len(clustering.table)} clusters from {clustering.points} phrase '
          f'occurrences ({len(counts)} distinct), {clustering.noise} noise points assigned to '
          'the nearest cluster centroid')
    for line in agreement_lines(records):
        print(line)
    print(f'wrote {out_path} (read+parse {t_embed - t0:.1f} s, embed {t_cluster - t_embed:.1f} '
          f's, cluster {t_done - t_cluster:.1f} s, total {time.perf_counter() - t0:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
