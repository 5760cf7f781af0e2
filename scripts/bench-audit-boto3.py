#!/usr/bin/env python3
"""The audit a team would write instead of `runas audit`: boto3 with a
thread pool, one AssumeRole per account, GetDocument of
SSM-SessionManagerRunShell per region. It reads what `runas audit` reads
for the common case (the default version's content) and classifies it the
simple way (missing, Run As off, wrong default user, compliant).

    bench-audit-boto3.py --endpoint URL --accounts FILE --regions R1,R2 [--threads 32]

Prints one line of JSON: the counts and the wall time.
"""
import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
from botocore.exceptions import ClientError

DOCUMENT = "SSM-SessionManagerRunShell"
ROLE = "OrganizationAccountAccessRole"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--accounts", required=True, help="file with one account id per line")
    ap.add_argument("--regions", required=True)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--default-user", default="ssm-fallback")
    args = ap.parse_args()
    accounts = [a.strip() for a in open(args.accounts) if a.strip()]
    regions = args.regions.split(",")
    cfg = botocore.config.Config(retries={"mode": "standard", "max_attempts": 10},
                                 max_pool_connections=args.threads)
    # One session for the whole run: clients made from it share its loaded
    # service models, which is far cheaper than a session per account.
    # Sessions are not thread-safe, so clients are made under a lock.
    session = boto3.session.Session()
    lock = threading.Lock()
    sts = session.client("sts", endpoint_url=args.endpoint, region_name=regions[0], config=cfg)

    def audit_account(account):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                RoleSessionName="bench")["Credentials"]
        out = []
        for region in regions:
            with lock:
                ssm = session.client("ssm", endpoint_url=args.endpoint, region_name=region, config=cfg,
                                     aws_access_key_id=creds["AccessKeyId"],
                                     aws_secret_access_key=creds["SecretAccessKey"],
                                     aws_session_token=creds["SessionToken"])
            try:
                doc = json.loads(ssm.get_document(Name=DOCUMENT, DocumentFormat="JSON")["Content"])
            except ClientError as e:
                if e.response["Error"]["Code"] == "InvalidDocument":
                    out.append("missing")
                    continue
                raise
            inputs = doc.get("inputs", {})
            if not inputs.get("runAsEnabled"):
                out.append("run-as-off")
            elif inputs.get("runAsDefaultUser") != args.default_user:
                out.append("wrong-user")
            else:
                out.append("compliant")
        return out

    start = time.monotonic()
    counts = {}
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        for states in pool.map(audit_account, accounts):
            for s in states:
                counts[s] = counts.get(s, 0) + 1
    elapsed = time.monotonic() - start
    json.dump({"threads": args.threads, "accounts": len(accounts), "targets": sum(counts.values()),
               "counts": counts, "seconds": round(elapsed, 2)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
