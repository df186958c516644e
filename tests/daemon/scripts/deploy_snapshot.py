#!/usr/bin/env python3
"""Turns deploy/*.yaml into a snapshot folder kinspect can inspect: the
manifests as they are, plus the Pod the Deployment would run (its template,
scheduled and Ready), so the pod-level workload and security checks see
what the cluster would run. Usage: deploy_snapshot.py DEPLOY_DIR OUT_DIR"""
import json
import pathlib
import shutil
import sys

import yaml

deploy, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
pods = []
for f in sorted(deploy.glob("*.yaml")):
    shutil.copy(f, out / f.name)
    for doc in yaml.safe_load_all(f.read_text()):
        if not doc or doc.get("kind") != "Deployment":
            continue
        t = doc["spec"]["template"]
        name = doc["metadata"]["name"]
        containers = t["spec"]["containers"]
        pods.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name + "-7d9f8b6c5-x2x4q", "namespace": doc["metadata"]["namespace"],
                         "labels": t["metadata"]["labels"], "creationTimestamp": "2026-01-01T00:00:00Z",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name + "-7d9f8b6c5",
                                              "controller": True, "uid": "00000000-0000-0000-0000-000000000001"}]},
            "spec": dict(t["spec"], nodeName="worker-1"),
            "status": {"phase": "Running", "startTime": "2026-01-01T00:00:05Z",
                       "conditions": [{"type": c, "status": "True", "lastTransitionTime": "2026-01-01T00:00:10Z"}
                                      for c in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
                       "containerStatuses": [{"name": c["name"], "ready": True, "restartCount": 0, "started": True,
                                              "image": c["image"], "imageID": "", "state": {"running": {
                                                  "startedAt": "2026-01-01T00:00:08Z"}}} for c in containers]},
        })
(out / "pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
print(len(pods))
