"""Tag-filter benchmark: prints the time to evaluate CEL tag filters over N tags.

Run: `python -m benchmarks.tagfilter [--tags 100000 --repos 1000]`. No registry: it
measures `TagFilter.evaluate` alone (what discovery and `regscan filter-tags` call per
tag), for a semver filter over N distinct tags, the same filter over N tags spread
over REPOS repositories that share tag names (each distinct tag evaluated once), and a
filter reading `repository` (evaluated for every tag). Target: 100k tags under 20 s.
"""

from __future__ import annotations

import argparse
import time

from job_images.discovery.celfilter import MatchCondition, TagFilter

SEMVER = [
    MatchCondition("semver", "isSemver(tag, true)"),
    MatchCondition("recent", 'semver(tag, true).isGreaterThan(semver("1.2.0"))'),
    MatchCondition("no-rc", '!tag.lowerAscii().contains("-rc")'),
]
BY_REPOSITORY = [
    MatchCondition("team", 'repository.startsWith("team-1") || tag.endsWith("-prod")'),
    MatchCondition("semver", "isSemver(tag, true) && semver(tag, true).major() >= 1"),
]


def _tag(i: int) -> str:
    kind = i % 5
    if kind == 0:
        return f"v{i % 7}.{i // 7 % 50}.{i}"
    if kind == 1:
        return f"{i % 4}.{i % 31}.{i}-rc{i % 3}"
    if kind == 2:
        return f"{i % 9}.{i % 13}"
    if kind == 3:
        return f"nightly-{i}"
    return f"{i % 3}.{i % 11}.{i}-prod"


def _time(tag_filter: TagFilter, pairs: list[tuple[str, str]]) -> tuple[float, int, int]:
    start = time.perf_counter()
    kept = errors = 0
    for repository, tag in pairs:
        verdict = tag_filter.evaluate(repository, tag)
        kept += verdict.matched
        errors += bool(verdict.errors)
    return time.perf_counter() - start, kept, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--tags", type=int, default=100_000, help="tags per case (default 100000)")
    ap.add_argument("--repos", type=int, default=1000, help="repositories in case 2 (default 1000)")
    args = ap.parse_args()
    n = args.tags
    distinct = [("library/app", _tag(i)) for i in range(n)]
    per_repo = max(1, n // args.repos)
    shared = [(f"team-{r}/app", _tag(i)) for r in range(args.repos) for i in range(per_repo)]
    cases = [
        ("semver filter, distinct tags", SEMVER, distinct),
        ("semver filter, tags shared by repos", SEMVER, shared),
        ("filter reading `repository`", BY_REPOSITORY, distinct),
    ]
    print(f"tag filters over {n} tags (target: under 20 s each)")
    for label, conditions, pairs in cases:
        seconds, kept, errors = _time(TagFilter(conditions), pairs)
        rate = len(pairs) / seconds if seconds else float("inf")
        print(
            f"  {label}: {len(pairs)} tags in {seconds:.2f} s ({rate:,.0f} tags/s), "
            f"kept {kept}, {errors} with evaluation errors"
        )


if __name__ == "__main__":
    main()
