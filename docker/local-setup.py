"""Local stack set-up (compose `setup` service): create the media bucket with browser CORS, idempotently."""

import os

import boto3
from botocore.exceptions import ClientError

BUCKET = os.environ["VIDEOFORGE_S3_BUCKET"]
ORIGIN = os.environ["VIDEOFORGE_PUBLIC_URL"]

s3 = boto3.client(
    "s3", endpoint_url=os.environ["VIDEOFORGE_S3_ENDPOINT_URL"], region_name=os.environ["VIDEOFORGE_S3_REGION"],
    aws_access_key_id=os.environ["VIDEOFORGE_S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["VIDEOFORGE_S3_SECRET_ACCESS_KEY"])

if BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
    s3.create_bucket(Bucket=BUCKET)
    print(f"created bucket {BUCKET}")
try:
    # The browser PUTs parts from the client's origin and reads each part's ETag (multipart uploads).
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [ORIGIN], "AllowedMethods": ["GET", "HEAD", "PUT"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600}]})
except ClientError as exc:  # servers without per-bucket CORS answer every origin already
    print(f"bucket CORS not set ({exc.response['Error']['Code']}); relying on the server's default")
