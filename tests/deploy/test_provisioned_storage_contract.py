"""The storage contract suite, run unchanged against the bucket that provision.yml created on the loopback server."""

from __future__ import annotations

import pytest

from tests.ports import test_storage_contract as contract
from videoforge.ports.storage import make_storage

# The first test to run here may apply provision.yml twice (the session fixture): minutes on a busy machine.
pytestmark = pytest.mark.timeout(1200)

# moto_server accepts any signature, so the suite's refusal tests (tampered, expired or other-key URLs) would
# check moto, not our bucket; they run against SeaweedFS in tests/ports. Everything else runs here.
SIGNATURE_TESTS = {
    "test_a_url_signed_for_one_key_reads_no_other", "test_a_url_signed_for_one_key_writes_no_other",
    "test_an_altered_signature_is_refused", "test_an_expired_url_is_refused", "test_a_part_url_writes_only_its_own_upload",
    # The size bound is a signed Content-Length: moto does not check it.
    "test_a_part_url_takes_exactly_its_part_size", "test_a_put_url_takes_exactly_its_size",
    "test_the_attachment_header_is_part_of_the_signature",
}
prefix = contract.prefix
globals().update({name: getattr(contract, name) for name in dir(contract)
                  if name.startswith("test_") and name not in SIGNATURE_TESTS})


@pytest.fixture
def storage(provisioned):
    """The app's S3 adapter, configured the way the deployment configures it, on the provisioned bucket."""
    return make_storage({
        "STORAGE_BACKEND": "s3", "S3_BUCKET": provisioned.bucket, "S3_ENDPOINT_URL": provisioned.endpoint_url,
        "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path",
        "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing",
    })
