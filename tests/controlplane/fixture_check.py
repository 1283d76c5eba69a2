#!/usr/bin/env python3
"""Checks the shared `controlplane` CTest fixture the way a consumer would use
it: source DIR/env, then talk to the apiserver with kubectl. Also orders
controlplane_start before controlplane_stop when no other test requires the
fixture. Usage: fixture_check.py DIR
"""

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    directory = Path(sys.argv[1]).resolve()
    env_file = directory / "env"
    if not env_file.exists():
        print(f"FAILED: {env_file} missing (did controlplane_start pass?)", file=sys.stderr)
        return 1
    status = subprocess.run([sys.executable, str(REPO / "tools/k8s/controlplane.py"), "status", "--dir", str(directory)])
    if status.returncode != 0:
        return 1
    # Every check goes through the env file, as README.md tells consumers to.
    script = r'''
set -eu
. "$1"
"$KUBECTL" get --raw=/readyz >/dev/null
curl -sS --fail --cacert "$PREBELL_TEST_CA" -H "Authorization: Bearer $(cat "$PREBELL_TEST_ADMIN_TOKEN_FILE")" \
  "$PREBELL_TEST_APISERVER/version" >/dev/null
# The serviceaccount controller of kube-controller-manager creates this.
i=0
until "$KUBECTL" -n default get serviceaccount default >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 120 ] || { echo "no default ServiceAccount after 60 s: controller-manager not working" >&2; exit 1; }
  sleep 0.5
done
echo "fixture ok: $PREBELL_TEST_APISERVER"
'''
    return subprocess.run(["sh", "-c", script, "fixture_check", str(env_file)]).returncode


if __name__ == "__main__":
    sys.exit(main())
