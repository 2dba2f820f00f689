#!/usr/bin/env python3
"""Split a JSON-lines dev set into a fixed "look" half (may be inspected while fixing error
classes) and a "held" half (never opened; only scored), by the SHA-256 of each doc_id:
even first byte -> look, odd -> held. Deterministic, independent of line order.

    scripts/eval/split-annoctr.py ../shared/eval/annoctr-dev-documents.jsonl /tmp/annoctr
    # writes /tmp/annoctr-look.jsonl and /tmp/annoctr-held.jsonl
    huntbrief eval attack /tmp/annoctr-look.jsonl
"""
import hashlib
import json
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, prefix = sys.argv[1], sys.argv[2]
    halves = {"look": [], "held": []}
    with open(src, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            doc_id = json.loads(line)["doc_id"]
            h = hashlib.sha256(doc_id.encode("utf-8")).digest()[0]
            halves["look" if h % 2 == 0 else "held"].append(line.rstrip("\n"))
    for name, lines in halves.items():
        with open(f"{prefix}-{name}.jsonl", "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        print(f"{prefix}-{name}.jsonl: {len(lines)} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
