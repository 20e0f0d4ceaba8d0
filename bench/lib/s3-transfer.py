"""The reference for `npm run bench:storage`: files moved straight between this machine and an S3 store by boto3,
as `upload_file`/`download_file` do it (s3transfer's manager with the default TransferConfig: multipart above
8 MiB, 8 MiB parts, 10 threads). Several files are moved at once by the same manager.

    python s3-transfer.py upload|download <bucket> <file>=<key> [<file>=<key> ...]

A download to /dev/null goes to an open file object (download_file would write a temporary file beside it and
rename it). The endpoint, region and credentials come from S3_ENDPOINT_URL, AWS_REGION and the AWS_* variables.
Prints one JSON line: the wall-clock seconds from the first request to the last byte (imports and client
creation excluded, as curl's time_total excludes starting curl) and the CPU seconds of this process.
"""

import json
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config


def main() -> None:
    direction, bucket, *pairs = sys.argv[1:]
    if direction not in ("upload", "download") or not pairs:
        sys.exit(__doc__)
    client = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        # A store of our own answers at one host: path-style, as semreg's S3 client uses it.
        config=Config(s3={"addressing_style": "path"}),
    )
    transfers = [pair.split("=", 1) for pair in pairs]
    sinks = []
    started = time.perf_counter()
    cpu_started = time.process_time()
    with create_transfer_manager(client, TransferConfig()) as manager:
        futures = []
        for file, key in transfers:
            if direction == "upload":
                futures.append(manager.upload(file, bucket, key))
            elif file == "/dev/null":
                sinks.append(open(file, "wb"))
                futures.append(manager.download(bucket, key, sinks[-1]))
            else:
                futures.append(manager.download(bucket, key, file))
        for future in futures:
            future.result()
    for sink in sinks:
        sink.close()
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpuSeconds": time.process_time() - cpu_started,
                "boto3": boto3.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
