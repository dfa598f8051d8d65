"""Locust users of the closed-loop leg: the same multipart body as wrk's upload.lua and loadgen, built once.

    PAYLOAD=file BOUNDARY=b locust -f locustfile.py --headless -u C -r C -t 20s -H http://127.0.0.1:PORT UploadUser
    ... FastUploadUser      (the same on locust's FastHttpUser, geventhttpclient instead of requests)

Environment: PAYLOAD (the file loadgen replays), BOUNDARY, FIELD (files), UPLOAD_PATH (/api/v1/bulk-parse-resumes).
Users never wait between requests (constant(0)): a closed loop of C connections, like wrk -c C and
loadgen --concurrency C. A status >= 400 counts as a failure (locust's default for both clients).
"""
import os

from locust import FastHttpUser, HttpUser, constant, task

PAYLOAD = os.environ["PAYLOAD"]
BOUNDARY = os.environ["BOUNDARY"]
FIELD = os.environ.get("FIELD", "files")
UPLOAD_PATH = os.environ.get("UPLOAD_PATH", "/api/v1/bulk-parse-resumes")


def multipart_body() -> bytes:
    with open(PAYLOAD, "rb") as f:
        data = f.read()
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{FIELD}"; filename="{os.path.basename(PAYLOAD)}"\r\n'
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


BODY = multipart_body()
HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


class UploadUser(HttpUser):
    """locust's default client (python-requests): what most locustfiles use."""

    wait_time = constant(0)

    @task
    def upload(self) -> None:
        self.client.post(UPLOAD_PATH, data=BODY, headers=HEADERS, name="upload")


class FastUploadUser(FastHttpUser):
    """locust's faster client (geventhttpclient)."""

    wait_time = constant(0)

    @task
    def upload(self) -> None:
        self.client.post(UPLOAD_PATH, data=BODY, headers=HEADERS, name="upload")
