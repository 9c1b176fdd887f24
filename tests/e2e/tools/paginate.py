#!/usr/bin/python3
"""paginate.py PATH LIMIT - lists PATH page by page (limit/continue) with the
admin token and prints: pages, items, distinct names, distinct resourceVersions."""
import json, os, ssl, sys, urllib.request

ctx = ssl._create_unverified_context()
url = f"{os.environ['SERVER']}{sys.argv[1]}?limit={sys.argv[2]}"
names, rvs, token, pages = [], set(), "", 0
while pages < 100:
    req = urllib.request.Request(url + ("&continue=" + token if token else ""),
                                 headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
    d = json.load(urllib.request.urlopen(req, context=ctx))
    pages += 1
    names += [i["metadata"]["name"] for i in d["items"]]
    rvs.add(d["metadata"]["resourceVersion"])
    token = d["metadata"].get("continue", "")
    if not token:
        break
print(pages, len(names), len(set(names)), len(rvs))
