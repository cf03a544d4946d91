#!/usr/bin/python3
"""False-positive probe for the classifier on unlabelled SaudiNewsNet articles.

Writes a sample of articles (default 3000, fixed seed) as JSON lines, runs `raqib classify`
on them and prints the fraction flagged per label, plus a few flagged examples to read.
The data is read from ../shared/data/news/saudinewsnet/*.zip and never copied into the repo.

With --sections, the sample is instead every article whose URL names one of the sections
(sport, economy, culture, tech; e.g. alwatan.com.sa/Sports/..., 3alyoum.com/finance/...):
ordinary news where an attack or claim flag is almost always a false alarm. It prints the
count per section and label.

  scripts/classifier-probe.py BUILD/raqib [--n 3000] [--show attack] [--examples 20]
  scripts/classifier-probe.py BUILD/raqib --sections sport,economy,culture,tech --show attack
"""
import argparse, glob, json, os, random, subprocess, sys, tempfile, zipfile

here = os.path.dirname(os.path.abspath(__file__))
default_dir = os.path.join(here, "..", "..", "shared", "data", "news", "saudinewsnet")

ap = argparse.ArgumentParser()
ap.add_argument("raqib")
ap.add_argument("--dir", default=default_dir)
ap.add_argument("--n", type=int, default=3000)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--show", default="")
ap.add_argument("--examples", type=int, default=15)
ap.add_argument("--data-dir", default="")
ap.add_argument("--sections", default="")
args = ap.parse_args()
# URL path sections (first segment after the host) of SaudiNewsNet's sources, by kind.
SECTIONS = {"sport": {"sports", "sport"}, "economy": {"economy", "finance"},
            "culture": {"culture"}, "tech": {"technology"}}

zips = sorted(glob.glob(os.path.join(args.dir, "*.zip")))
if not zips:
    print("no SaudiNewsNet zips in", args.dir, "- skipped")
    sys.exit(77)
articles = []
for z in zips:
    with zipfile.ZipFile(z) as zf:
        for name in zf.namelist():
            if name.endswith(".json"):
                articles.extend(json.loads(zf.read(name)))

def section_of(article):
    parts = (article.get("url") or "").split("/")
    first = parts[3].lower() if len(parts) > 3 else ""
    for kind in args.sections.split(","):
        if first in SECTIONS.get(kind, set()):
            return kind
    return None


if args.sections:
    unknown = [k for k in args.sections.split(",") if k not in SECTIONS]
    if unknown:
        sys.exit("unknown section(s) %s; known: %s" % (",".join(unknown), ",".join(SECTIONS)))
    articles = [a for a in articles if section_of(a)]
else:
    random.Random(args.seed).shuffle(articles)
    articles = articles[: args.n]
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    for i, a in enumerate(articles):
        f.write(json.dumps({"id": i, "title": a.get("title") or "", "text": a.get("content") or ""},
                           ensure_ascii=False) + "\n")
    path = f.name
cmd = [args.raqib, "classify", path] + (["--data-dir", args.data_dir] if args.data_dir else [])
out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
os.unlink(path)
counts = {"attack": 0, "claim": 0, "statement": 0}
flagged = {k: [] for k in counts}
for line in out.splitlines():
    r = json.loads(line)
    for l in r["labels"]:
        counts[l] += 1
        flagged[l].append(r)
n = len(articles)
print("articles=%d" % n, " ".join("%s=%.1f%%" % (k, 100.0 * v / n) for k, v in counts.items()))
if args.sections:
    for kind in args.sections.split(","):
        ids = [i for i, a in enumerate(articles) if section_of(a) == kind]
        per = {k: sum(1 for r in flagged[k] if section_of(articles[r["id"]]) == kind)
               for k in counts}
        print("section=%s articles=%d" % (kind, len(ids)),
              " ".join("%s=%d" % (k, v) for k, v in per.items()))
if args.show:
    for r in flagged[args.show][: args.examples]:
        a = articles[r["id"]]
        ev = [e for e in r["evidence"] if e["type"] == args.show]
        print("----", r["id"], a["title"][:120])
        for e in ev[:2]:
            print("   ", e["rule"], "|", " / ".join(t["text"] for t in e["triggers"]), "|",
                  e["sentence"]["text"][:300].replace("\n", " "))
