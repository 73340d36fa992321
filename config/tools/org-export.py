#!/usr/bin/python3
"""Writes consolegate's org export (config/README.md, "Org export") from AWS Organizations.

Runs the AWS CLI (v2, which paginates by itself) with credentials that may read Organizations
in the management account or a delegated administrator account:

    python3 config/tools/org-export.py --profile org-read -o /etc/consolegate/org-export.json

Calls: organizations describe-organization, list-roots, and, walking the tree breadth-first,
list-organizational-units-for-parent and list-accounts-for-parent. Only the standard library.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile


def aws(args, profile):
    cmd = ["aws", "organizations", *args, "--output", "json"]
    if profile:
        cmd += ["--profile", profile]
    try:
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        sys.exit("org-export: the aws CLI is not installed (https://aws.amazon.com/cli/)")
    except subprocess.CalledProcessError as e:
        sys.exit(f"org-export: {' '.join(cmd)} failed:\n{e.stderr.strip()}")
    return json.loads(done.stdout or "{}")


def export(profile):
    org = aws(["describe-organization"], profile)["Organization"]["Id"]
    roots = aws(["list-roots"], profile)["Roots"]
    if len(roots) != 1:
        sys.exit(f"org-export: expected one root, found {len(roots)}")
    root = roots[0]["Id"]
    accounts = []
    # (parent id, aws:PrincipalOrgPaths value of that parent)
    queue = [(root, f"{org}/{root}/")]
    while queue:
        parent, path = queue.pop(0)
        for a in aws(["list-accounts-for-parent", "--parent-id", parent], profile)["Accounts"]:
            accounts.append({"id": a["Id"], "name": a.get("Name", ""), "path": path,
                             "status": a.get("Status", "")})
        ous = aws(["list-organizational-units-for-parent", "--parent-id", parent], profile)
        for ou in ous["OrganizationalUnits"]:
            queue.append((ou["Id"], f"{path}{ou['Id']}/"))
    accounts.sort(key=lambda a: a["id"])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return {"organization_id": org, "root_id": root,
            "generated_at": now.isoformat().replace("+00:00", "Z"), "accounts": accounts}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", help="AWS CLI profile (default: the CLI's own default)")
    ap.add_argument("-o", "--output", help="file to write (default: stdout); replaced atomically")
    args = ap.parse_args()
    text = json.dumps(export(args.profile), indent=2) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return
    # Write beside the target and rename, so a reload never sees half a file.
    directory = os.path.dirname(os.path.abspath(args.output))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".org-export.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
