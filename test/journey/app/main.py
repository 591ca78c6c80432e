"""The getting-started app: a Flask service in the shape of the Cloud Run Python quickstart."""
import json
import os
import time
import urllib.error
import urllib.request

from flask import Flask, request

app = Flask(__name__)

VERSION = "v1"
# Google's client libraries find the metadata server the same way: GCE_METADATA_HOST, if set.
METADATA = f"http://{os.environ.get('GCE_METADATA_HOST', 'metadata.google.internal')}/computeMetadata/v1"


@app.route("/")
def hello():
    name = os.environ.get("NAME", "World")
    return f"Hello {name}! {VERSION} revision={os.environ.get('K_REVISION', '?')}\n"


@app.route("/job", methods=["POST"])
def job():
    # What the scheduler job calls: say so in the logs, so the POST can be seen arriving.
    print(f"scheduled POST received by {os.environ.get('K_REVISION')}", flush=True)
    return {"received": request.method}


@app.route("/allocate")
def allocate():
    # Touch every page so the memory is really used, not just reserved.
    mib = int(request.args.get("mib", "600"))
    block = bytearray(mib * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return f"allocated {mib} MiB\n"


@app.route("/sleep")
def sleep():
    seconds = float(request.args.get("s", "10"))
    time.sleep(seconds)
    return f"slept {seconds} s\n"


def metadata(path):
    with urllib.request.urlopen(
        urllib.request.Request(f"{METADATA}/{path}", headers={"Metadata-Flavor": "Google"})
    ) as r:
        return r.read().decode()


@app.route("/api")
def api():
    # Call tarmac's API as the service's own identity: an access token from the metadata server.
    token = json.loads(metadata("instance/service-accounts/default/token"))["access_token"]
    project = metadata("project/project-id")
    region = metadata("instance/region").rsplit("/", 1)[-1]
    endpoint = os.environ["TARMAC_API_ENDPOINT"]
    paths = {
        "services": f"/v2/projects/{project}/locations/{region}/services",
        "service-accounts": f"/v1/projects/{project}/serviceAccounts",
    }
    call = urllib.request.Request(
        endpoint + paths[request.args.get("list", "services")],
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(call) as r:
            return r.read(), r.status, {"Content-Type": "application/json"}
    except urllib.error.HTTPError as e:
        return e.read(), e.code, {"Content-Type": "application/json"}


if __name__ == "__main__":
    app.run(debug=False, host="0.0.0.0", port=int(os.environ.get("PORT", 8080)))
